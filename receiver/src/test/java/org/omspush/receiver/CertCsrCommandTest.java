package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.PublicKey;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.receiver.tls.Certificates;

class CertCsrCommandTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private static JcaPKCS10CertificationRequest readCsr(Path file) throws Exception {
    try (Reader r = Files.newBufferedReader(file); PEMParser p = new PEMParser(r)) {
      return new JcaPKCS10CertificationRequest((PKCS10CertificationRequest) p.readObject());
    }
  }

  @Test
  void csr_has_the_subject_and_names_asked_for_and_a_private_key_only_its_owner_reads() throws Exception {
    Path target = dir.resolve("iso-cert");
    assertThat(run("cert", "csr", "--subject", "CN=SC_ACME_OMS,OU=Scheduling,O=ACME Energy,C=US", "--out",
        target.toString(), "--dns", "oms.acme.example", "--dns", "oms-push.acme.example")).isZero();

    JcaPKCS10CertificationRequest csr = readCsr(target.resolve("csr.pem"));
    assertThat(csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(csr.getSubjectPublicKeyInfo())))
        .isTrue();
    assertThat(new X500Principal(csr.getSubject().getEncoded()))
        .isEqualTo(new X500Principal("CN=SC_ACME_OMS,OU=Scheduling,O=ACME Energy,C=US"));
    Extensions ext = Extensions.getInstance(csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)[0]
        .getAttrValues().getObjectAt(0));
    GeneralName[] names = GeneralNames.fromExtensions(ext, Extension.subjectAlternativeName).getNames();
    assertThat(names).extracting(n -> n.getName().toString()).containsExactly("oms.acme.example",
        "oms-push.acme.example");
    assertThat(names).allMatch(n -> n.getTagNo() == GeneralName.dNSName);

    Path key = target.resolve("key.pem");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
    PrivateKey privateKey = Certificates.parsePrivateKey(Files.readAllBytes(key));
    PublicKey publicKey = csr.getPublicKey();
    assertThat(Certificates.keyMatches(privateKey, publicKey)).isTrue();
    assertThat(Certificates.keyDescription(publicKey)).isEqualTo("RSA 3072");
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("CN=SC_ACME_OMS,OU=Scheduling,O=ACME Energy,C=US")
        .contains("public key SHA-256: " + Certificates.publicKeyFingerprint(publicKey))
        .contains("next:");
  }

  @Test
  void an_ec_key_is_possible_and_is_said_to_be_unfit_for_the_iso_signatures() throws Exception {
    assertThat(run("cert", "csr", "--subject", "CN=oms.acme.example,O=ACME Energy,C=US", "--out", dir.toString(),
        "--key-type", "ec")).isZero();
    JcaPKCS10CertificationRequest csr = readCsr(dir.resolve("csr.pem"));
    assertThat(csr.getPublicKey().getAlgorithm()).isEqualTo("EC");
    assertThat(csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)).isEmpty();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("RSA-SHA256").contains("OMS_ISO_CERT");
  }

  @Test
  void existing_files_are_never_overwritten() throws Exception {
    Files.writeString(dir.resolve("key.pem"), "precious");
    assertThat(run("cert", "csr", "--subject", "CN=x,C=US", "--out", dir.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("refusing to overwrite");
    assertThat(Files.readString(dir.resolve("key.pem"))).isEqualTo("precious");
    assertThat(dir.resolve("csr.pem")).doesNotExist();
  }

  @Test
  void a_bad_subject_is_a_clear_error_with_status_2_and_writes_nothing() {
    assertThat(run("cert", "csr", "--subject", "not a distinguished name", "--out", dir.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--subject 'not a distinguished name' is not a "
        + "distinguished name");
    assertThat(run("cert", "csr", "--subject", "O=ACME Energy,C=US", "--out", dir.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("has no CN");
    assertThat(run("cert", "csr", "--subject", "CN=x,C=USA", "--out", dir.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("two-letter country code");
    assertThat(dir.resolve("key.pem")).doesNotExist();
  }

  @Test
  void weak_or_unknown_keys_and_bad_names_are_refused() {
    assertThat(run("cert", "csr", "--subject", "CN=x", "--out", dir.toString(), "--key-size", "1024")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("2048, 3072 or 4096");
    assertThat(run("cert", "csr", "--subject", "CN=x", "--out", dir.toString(), "--key-type", "dsa")).isEqualTo(2);
    assertThat(run("cert", "csr", "--subject", "CN=x", "--out", dir.toString(), "--dns", "bad name")).isEqualTo(2);
    assertThat(run("cert", "csr", "--out", dir.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: cert csr");
  }
}
