package org.omspush.isosim.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.omspush.isosim.pki.DevPki;

/** One dev PKI for every test class of the run (generating one costs seconds). */
public final class SharedPki {

  private static DevPki pki;

  private SharedPki() {}

  public static synchronized DevPki get() {
    if (pki == null) {
      try {
        Path dir = Files.createTempDirectory("isosim-pki");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
        pki = DevPki.generate(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return pki;
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException ignored) {
      // temp files
    }
  }
}
