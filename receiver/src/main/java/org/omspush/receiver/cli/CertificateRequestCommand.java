package org.omspush.receiver.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.omspush.receiver.tls.Certificates;

/**
 * {@code cert csr --subject DN --out DIR [--key-type rsa|ec] [--key-size N] [--dns NAME ...]}: a
 * new key pair and a PKCS#10 request for it, for the participant's ISO certificate (or the push
 * server's). RSA is the default because the ISO's WS-Security signatures are RSA-SHA256 (the
 * retrieve requests are signed with this key); 3072 bits by default, 2048 at least.
 */
public final class CertificateRequestCommand {
  public static final String KEY_FILE = "key.pem";
  public static final String CSR_FILE = "csr.pem";
  static final String USAGE = "usage: cert csr --subject \"CN=...,O=...,C=US\" --out DIR [--key-type rsa|ec] "
      + "[--key-size 2048|3072|4096 (rsa) or 256|384 (ec)] [--dns NAME ...]";
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A wrong argument: printed with the usage, exit status 2. */
  public static final class BadArguments extends RuntimeException {
    public BadArguments(String message) {
      super(message, null, false, false);
    }
  }

  private CertificateRequestCommand() {}

  /** @return the exit status: 0 written, 2 wrong arguments (nothing written) */
  public static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
    try {
      return execute(args, out);
    } catch (BadArguments e) {
      err.println(e.getMessage());
      return 2;
    }
  }

  private static int execute(String[] args, PrintStream out) throws IOException {
    if (args.length == 0 || !args[0].equals("csr")) {
      throw new BadArguments(USAGE);
    }
    String subject = null;
    Path dir = null;
    String keyType = "rsa";
    Integer keySize = null;
    List<String> dns = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        throw new BadArguments(a + " needs a value\n" + USAGE);
      }
      String v = args[++i];
      switch (a) {
        case "--subject" -> subject = v;
        case "--out" -> dir = Path.of(v);
        case "--key-type" -> keyType = v.toLowerCase(Locale.ROOT);
        case "--key-size" -> keySize = parseSize(v);
        case "--dns" -> dns.add(v);
        default -> throw new BadArguments("unknown option " + a + "\n" + USAGE);
      }
    }
    if (subject == null || dir == null) {
      throw new BadArguments("--subject and --out are required\n" + USAGE);
    }
    X500Name name = subject(subject);
    for (String d : dns) {
      if (!d.matches("(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")
          || d.length() > 253) {
        throw new BadArguments("--dns " + d + " is not a DNS name");
      }
    }
    int size = keySize(keyType, keySize);
    Path keyFile = dir.resolve(KEY_FILE);
    Path csrFile = dir.resolve(CSR_FILE);
    for (Path p : List.of(keyFile, csrFile)) {
      if (Files.exists(p)) {
        throw new BadArguments(p + " exists; refusing to overwrite it (move it away or choose another --out)");
      }
    }

    KeyPair keyPair = generate(keyType, size);
    PKCS10CertificationRequest csr = request(name, keyPair, keyType, size, dns);
    Files.createDirectories(dir);
    writeKey(keyFile, pem("PRIVATE KEY", keyPair.getPrivate().getEncoded()));
    try {
      Files.writeString(csrFile, pem("CERTIFICATE REQUEST", csr.getEncoded()), StandardCharsets.US_ASCII,
          StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (FileAlreadyExistsException e) {
      Files.delete(keyFile);
      throw new BadArguments(csrFile + " exists; refusing to overwrite it");
    }

    out.println("wrote " + keyFile.toAbsolutePath() + " (private key, PKCS#8 PEM, readable by you only)");
    out.println("wrote " + csrFile.toAbsolutePath() + " (certificate signing request, PKCS#10 PEM)");
    out.println();
    out.println("subject:            " + new X500Principal(name.getEncoded()).getName());
    if (!dns.isEmpty()) {
      out.println("DNS names:          " + String.join(", ", dns));
    }
    out.println("key:                " + Certificates.keyDescription(keyPair.getPublic()) + ", request signed with "
        + signatureAlgorithm(keyType, size));
    out.println("public key SHA-256: " + Certificates.publicKeyFingerprint(keyPair.getPublic()));
    out.println();
    if (keyType.equals("ec")) {
      out.println("note: the ISO's WS-Security signatures are RSA-SHA256, so an EC key can serve the push server's");
      out.println("      TLS certificate (OMS_TLS_CERT) but not the participant certificate (OMS_ISO_CERT).");
      out.println();
    }
    out.println("next:");
    out.println("  1. Send " + CSR_FILE + " (never " + KEY_FILE + ") to whoever issues the certificate: for the participant");
    out.println("     certificate, your user access administrator (UAA) through the ISO's certificate request");
    out.println("     process; for the push server's certificate, your CA.");
    out.println("  2. Check the certificate you get back names this public key: its SHA-256 above must match");
    out.println("     (openssl x509 -in cert.pem -noout -pubkey | openssl pkey -pubin -outform der | sha256sum).");
    out.println("  3. Store the certificate (PEM, followed by its issuing CA) and " + KEY_FILE + " in a Kubernetes Secret");
    out.println("     and point OMS_ISO_CERT/OMS_ISO_KEY (or OMS_TLS_CERT/OMS_TLS_KEY) at the mounted files.");
    out.println("  4. Run `java -jar oms-receiver.jar doctor` with the same environment to check them.");
    return 0;
  }

  private static int parseSize(String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new BadArguments("--key-size " + v + " is not a number");
    }
  }

  /** Parses an RFC 2253/1779 DN (as Java prints it) that names at least a CN. */
  static X500Name subject(String text) {
    X500Principal p;
    try {
      p = new X500Principal(text);
    } catch (IllegalArgumentException e) {
      throw new BadArguments("--subject '" + text + "' is not a distinguished name (" + e.getMessage()
          + "); e.g. \"CN=SC_ACME_OMS,OU=Scheduling,O=ACME Energy,C=US\"");
    }
    X500Name name = X500Name.getInstance(p.getEncoded());
    if (name.getRDNs(BCStyle.CN).length == 0) {
      throw new BadArguments("--subject '" + text + "' has no CN; e.g. \"CN=SC_ACME_OMS,O=ACME Energy,C=US\"");
    }
    for (var rdn : name.getRDNs(BCStyle.C)) {
      String c = rdn.getFirst().getValue().toString();
      if (!c.matches("[A-Z]{2}")) {
        throw new BadArguments("--subject: C must be a two-letter country code such as US, not '" + c + "'");
      }
    }
    return name;
  }

  private static int keySize(String type, Integer requested) {
    if (type.equals("rsa")) {
      int s = requested == null ? 3072 : requested;
      if (s != 2048 && s != 3072 && s != 4096) {
        throw new BadArguments("--key-size for rsa is 2048, 3072 or 4096, not " + s);
      }
      return s;
    }
    if (type.equals("ec")) {
      int s = requested == null ? 256 : requested;
      if (s != 256 && s != 384) {
        throw new BadArguments("--key-size for ec is 256 (P-256) or 384 (P-384), not " + s);
      }
      return s;
    }
    throw new BadArguments("--key-type is rsa or ec, not " + type);
  }

  private static KeyPair generate(String type, int size) {
    try {
      if (type.equals("rsa")) {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(size, RANDOM);
        return g.generateKeyPair();
      }
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec(size == 256 ? "secp256r1" : "secp384r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a " + type + " key", e);
    }
  }

  private static String signatureAlgorithm(String type, int size) {
    return type.equals("rsa") ? "SHA256withRSA" : size == 384 ? "SHA384withECDSA" : "SHA256withECDSA";
  }

  private static PKCS10CertificationRequest request(X500Name subject, KeyPair kp, String type, int size,
      List<String> dns) throws IOException {
    JcaPKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(subject, kp.getPublic());
    if (!dns.isEmpty()) {
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(dns.stream().map(d -> new GeneralName(GeneralName.dNSName, d)).toArray(GeneralName[]::new)));
      b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
    }
    try {
      return b.build(new JcaContentSignerBuilder(signatureAlgorithm(type, size)).build(kp.getPrivate()));
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot sign the request", e);
    }
  }

  private static String pem(String type, byte[] der) throws IOException {
    StringWriter s = new StringWriter();
    try (PemWriter w = new PemWriter(s)) {
      w.writeObject(new PemObject(type, der));
    }
    return s.toString();
  }

  /** Created readable by the owner only before any byte is written, never replacing a file. */
  private static void writeKey(Path file, String text) throws IOException {
    boolean posix = Files.getFileStore(file.toAbsolutePath().getParent())
        .supportsFileAttributeView(PosixFileAttributeView.class);
    try {
      if (posix) {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createFile(file);
      }
    } catch (FileAlreadyExistsException e) {
      throw new BadArguments(file + " exists; refusing to overwrite it");
    }
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII, StandardOpenOption.WRITE)) {
      w.write(text);
    }
  }
}
