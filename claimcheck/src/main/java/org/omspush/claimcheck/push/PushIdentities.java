package org.omspush.claimcheck.push;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;

/**
 * The ISO push identities allowed to push. Every participant's certificate chains to the same
 * ISO CA, so a valid chain is not enough: the subject must be one of these. Compared as X.500
 * names, never as strings.
 */
public final class PushIdentities {
  private final Set<X500Principal> allowed;

  private PushIdentities(Set<X500Principal> allowed) {
    this.allowed = allowed;
  }

  /**
   * Parses {@code OMS_PUSH_ALLOWED_SUBJECTS}: RFC 2253 DNs separated by {@code ;}.
   *
   * @throws IllegalArgumentException naming the DN that is not one, or when the list is empty
   */
  public static PushIdentities parse(String subjects) {
    List<X500Principal> out = new ArrayList<>();
    if (subjects != null) {
      for (String dn : subjects.split(";")) {
        if (dn.isBlank()) {
          continue;
        }
        try {
          out.add(new X500Principal(dn.strip()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("'" + dn.strip() + "' is not a distinguished name (RFC 2253)");
        }
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no ISO push identity is allowed: give at least one subject DN");
    }
    return new PushIdentities(Set.copyOf(out));
  }

  public boolean allows(X509Certificate client) {
    return allowed.contains(client.getSubjectX500Principal());
  }

  public void check(X509Certificate client) throws PushRejectedException {
    if (!allows(client)) {
      throw new PushRejectedException(PushFault.Reason.CLIENT_NOT_ALLOWED, "The client certificate "
          + client.getSubjectX500Principal().getName() + " is not an ISO push identity allowed by this receiver");
    }
  }

  public Set<X500Principal> subjects() {
    return allowed;
  }
}
