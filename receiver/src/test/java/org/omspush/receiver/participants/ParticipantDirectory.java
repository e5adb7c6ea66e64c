package org.omspush.receiver.participants;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;
import org.omspush.isosim.pki.Pem;
import org.omspush.receiver.tls.TestCertificates;

/**
 * OMS_PARTICIPANTS_DIR as Kubernetes mounts a projected volume of one {@code kubernetes.io/tls}
 * Secret per participant: {@code KEY → ..data/KEY}, {@code ..data → ..vN}, and every change
 * written as a new {@code ..vN} that {@code ..data} is swapped to at once.
 */
public final class ParticipantDirectory {
  private final Path dir;
  private final Map<String, Map<String, byte[]>> participants = new TreeMap<>();
  private int version;

  public ParticipantDirectory(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
  }

  public Path path() {
    return dir;
  }

  public void put(String key, TestCertificates.Leaf leaf) throws IOException {
    put(key, leaf, leaf.keyPair().getPrivate());
  }

  /** A participant whose tls.key may be another certificate's key. */
  public void put(String key, TestCertificates.Leaf leaf, java.security.PrivateKey privateKey) throws IOException {
    participants.put(key, Map.of(
        "tls.crt", Pem.certificatesToPem(leaf.chain()).getBytes(StandardCharsets.US_ASCII),
        "tls.key", Pem.privateKeyToPem(privateKey).getBytes(StandardCharsets.US_ASCII)));
    publish();
  }

  public void remove(String key) throws IOException {
    participants.remove(key);
    publish();
  }

  private void publish() throws IOException {
    Path v = Files.createDirectory(dir.resolve("..v" + (++version)));
    for (var p : participants.entrySet()) {
      Path sub = Files.createDirectory(v.resolve(p.getKey()));
      for (var f : p.getValue().entrySet()) {
        Files.write(sub.resolve(f.getKey()), f.getValue());
      }
      Path link = dir.resolve(p.getKey());
      if (!Files.isSymbolicLink(link)) {
        Files.createSymbolicLink(link, Path.of("..data", p.getKey()));
      }
    }
    Path tmp = dir.resolve("..data_tmp");
    Files.createSymbolicLink(tmp, v.getFileName());
    Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (var entries = Files.list(dir)) {
      for (Path link : entries.toList()) {
        String name = link.getFileName().toString();
        if (!name.startsWith(".") && !participants.containsKey(name)) {
          Files.delete(link);
        }
      }
    }
  }
}
