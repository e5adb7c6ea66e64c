package org.omspush.receiver.admin;

import java.nio.file.Path;

/** The admin port's own certificate chain and key (PEM), for TLS on that port [OMS_ADMIN_TLS_CERT, OMS_ADMIN_TLS_KEY]. */
public record AdminTls(Path certChain, Path key) {}
