package org.omspush.receiver.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** PEM private keys (PKCS#8 or PKCS#1), read with BouncyCastle. */
final class Keys {
  private Keys() {}

  static PrivateKey read(String setting, Path file) {
    try (Reader r = Files.newBufferedReader(file); PEMParser parser = new PEMParser(r)) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair pair) {
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      throw new ConfigException(setting, file + " holds no unencrypted PEM private key");
    } catch (IOException e) {
      throw new ConfigException(setting, "cannot read " + file + ": " + e.getMessage());
    }
  }
}
