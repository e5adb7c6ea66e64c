package org.omspush.receiver.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/**
 * The push server's certificate chain, key, client CAs and revocation lists as read from their
 * files at one moment, checked, with a hash of their bytes to tell whether the files changed since.
 */
public record TlsMaterial(byte[] certPem, byte[] keyPem, byte[] clientCaPem, List<X509Certificate> chain,
    PrivateKey key, List<X509Certificate> clientCas, RevocationLists revocations, String hash) {

  /** The files hold a set that must not be served; the reason says what to fix. */
  public static final class Invalid extends Exception {
    public Invalid(String reason) {
      super(reason, null, false, false);
    }
  }

  /** The hash of the files' bytes (following symlinks), without parsing them. Blocks (file I/O). */
  public static String hashOf(Path cert, Path key, Path clientCa, List<Path> crls) throws IOException {
    return hash(Files.readAllBytes(cert), Files.readAllBytes(key), Files.readAllBytes(clientCa),
        RevocationLists.read(crls));
  }

  /** Reads and checks the three files. Blocks (file I/O). */
  public static TlsMaterial read(Path cert, Path key, Path clientCa, Instant now) throws Invalid {
    byte[] c;
    byte[] k;
    byte[] ca;
    try {
      c = Files.readAllBytes(cert);
      k = Files.readAllBytes(key);
      ca = Files.readAllBytes(clientCa);
    } catch (IOException e) {
      throw new Invalid("cannot read the files: " + e);
    }
    return of(c, k, ca, now);
  }

  /**
   * Checks that the chain and the client CAs parse, that the key belongs to the first
   * certificate, and that the certificate has not expired: a set that fails any of these would
   * break every handshake.
   */
  public static TlsMaterial of(byte[] certPem, byte[] keyPem, byte[] clientCaPem, Instant now) throws Invalid {
    return of(certPem, keyPem, clientCaPem, List.of(), List.of(), now);
  }

  /** As above, with the revocation lists (each signed by one of the client CAs). */
  public static TlsMaterial of(byte[] certPem, byte[] keyPem, byte[] clientCaPem, List<Path> crlPaths,
      List<byte[]> crlFiles, Instant now) throws Invalid {
    List<X509Certificate> chain;
    List<X509Certificate> cas;
    PrivateKey key;
    try {
      chain = Certificates.parseCertificates(certPem);
    } catch (IOException e) {
      throw new Invalid("OMS_TLS_CERT: " + e.getMessage());
    }
    if (chain.isEmpty()) {
      throw new Invalid("OMS_TLS_CERT holds no certificate");
    }
    try {
      cas = Certificates.parseCertificates(clientCaPem);
    } catch (IOException e) {
      throw new Invalid("OMS_TLS_CLIENT_CA: " + e.getMessage());
    }
    if (cas.isEmpty()) {
      throw new Invalid("OMS_TLS_CLIENT_CA holds no certificate");
    }
    try {
      key = Certificates.parsePrivateKey(keyPem);
    } catch (IOException | RuntimeException e) {
      throw new Invalid("OMS_TLS_KEY: " + e.getMessage());
    }
    X509Certificate leaf = chain.get(0);
    if (!Certificates.keyMatches(key, leaf.getPublicKey())) {
      throw new Invalid("OMS_TLS_KEY does not belong to the certificate " + leaf.getSubjectX500Principal().getName());
    }
    if (Certificates.expired(leaf, now)) {
      throw new Invalid("the certificate " + leaf.getSubjectX500Principal().getName() + " expired on "
          + leaf.getNotAfter().toInstant());
    }
    RevocationLists revocations = RevocationLists.of(crlPaths, crlFiles, cas);
    return new TlsMaterial(certPem, keyPem, clientCaPem, List.copyOf(chain), key, List.copyOf(cas), revocations,
        hash(certPem, keyPem, clientCaPem, crlFiles));
  }

  public X509Certificate certificate() {
    return chain.get(0);
  }

  /** SHA-256 over the three files' bytes. */
  public static String hash(byte[] cert, byte[] key, byte[] ca) {
    return hash(cert, key, ca, List.of());
  }

  /** SHA-256 over the files' bytes, revocation lists included. */
  public static String hash(byte[] cert, byte[] key, byte[] ca, List<byte[]> crls) {
    List<byte[]> parts = new java.util.ArrayList<>(List.of(cert, key, ca));
    parts.addAll(crls);
    try {
      java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
      for (byte[] part : parts) {
        // length-prefixed, so that bytes moving from one file to the next change the hash
        d.update(java.nio.ByteBuffer.allocate(4).putInt(part.length).array());
        d.update(part);
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
