package org.omspush.store.secrets;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys that seal secrets at rest: the current one seals, it and older ones (during a
 * rotation) open. AES-256-GCM with a random 96-bit nonce per value; the associated data names
 * the value's place ({@code subscriber_secret:<subscriber id>}), so a sealed value copied into
 * another row does not open there.
 */
public final class SecretKeys {
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Opened values kept; a deployment has a few per subscriber. */
  static final int OPENED_KEPT = 4096;

  private final SealingKey current;
  private final Map<String, SealingKey> byId = new LinkedHashMap<>();
  /**
   * The plaintext of values already opened, by key id, place and sealed bytes: the fan-out opens
   * every claimed subscriber's secrets on each claim, and the same box under the same key and
   * place always opens to the same bytes (GCM checked it the first time). A changed box, key or
   * place is another entry, checked afresh.
   */
  private final Map<Sealed, byte[]> opened = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Sealed, byte[]> eldest) {
      return size() > OPENED_KEPT;
    }
  };
  private final AtomicLong decryptions = new AtomicLong();

  private record Sealed(String keyId, String place, ByteBuffer box) {}

  /** @param older keys that still open what they sealed, never seal */
  public SecretKeys(SealingKey current, List<SealingKey> older) {
    this.current = Objects.requireNonNull(current, "current");
    byId.put(current.id(), current);
    older.forEach(k -> byId.putIfAbsent(k.id(), k));
  }

  public static SecretKeys of(SealingKey current) {
    return new SecretKeys(current, List.of());
  }

  /** The same keys with {@code next} sealing: a rotation's view. */
  public SecretKeys sealingWith(SealingKey next) {
    List<SealingKey> all = new ArrayList<>(byId.values());
    return new SecretKeys(next, all);
  }

  public String currentId() {
    return current.id();
  }

  /** Ids of every key that opens, the current one first. */
  public List<String> ids() {
    return List.copyOf(byId.keySet());
  }

  public boolean opens(String keyId) {
    return byId.containsKey(keyId);
  }

  /**
   * A key for another purpose (HMAC-SHA256 of the purpose under the current key): the same on every
   * replica with this configuration, and changed when the current key is.
   */
  public byte[] derive(String purpose) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(current.bytes(), "HmacSHA256"));
      return mac.doFinal(SealingKey.utf8("derived:" + purpose));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  public SealedValue seal(byte[] plain, String place) {
    byte[] nonce = new byte[NONCE];
    RANDOM.nextBytes(nonce);
    try {
      Cipher c = cipher(Cipher.ENCRYPT_MODE, current, nonce, place);
      byte[] sealed = c.doFinal(plain);
      return new SealedValue(current.id(), ByteBuffer.allocate(NONCE + sealed.length).put(nonce).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  public SealedValue seal(String plain, String place) {
    return seal(SealingKey.utf8(plain), place);
  }

  /** @throws SealedSecretException when no configured key has this id, or the value was altered */
  public byte[] open(SealedValue v, String place) {
    SealingKey key = byId.get(v.keyId());
    if (key == null) {
      throw new SealedSecretException("the secret of " + place + " is sealed under key " + v.keyId()
          + ", which is not configured (keys here: " + ids() + "); set OMS_SECRETS_KEY_FILE, or during a "
          + "rotation OMS_SECRETS_OLD_KEY_FILES, to the key it was sealed with");
    }
    if (v.box().length < NONCE + TAG_BITS / 8) {
      throw new SealedSecretException("the sealed secret of " + place + " is truncated: refused");
    }
    Sealed sealed = new Sealed(v.keyId(), place, ByteBuffer.wrap(v.box().clone()));
    byte[] known;
    synchronized (opened) {
      known = opened.get(sealed);
    }
    if (known != null) {
      return known.clone();
    }
    try {
      decryptions.incrementAndGet();
      Cipher c = cipher(Cipher.DECRYPT_MODE, key, java.util.Arrays.copyOf(v.box(), NONCE), place);
      byte[] plain = c.doFinal(v.box(), NONCE, v.box().length - NONCE);
      synchronized (opened) {
        opened.put(sealed, plain.clone());
      }
      return plain;
    } catch (AEADBadTagException e) {
      throw new SealedSecretException("the sealed secret of " + place + " does not open under key " + v.keyId()
          + ": it was altered or moved from another row; refused");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /** How many values were decrypted (not taken from those already opened); for tests. */
  long decryptions() {
    return decryptions.get();
  }

  public String openText(SealedValue v, String place) {
    return new String(open(v, place), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static Cipher cipher(int mode, SealingKey key, byte[] nonce, String place) throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(mode, new SecretKeySpec(key.bytes(), "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    c.updateAAD(SealingKey.utf8(place));
    return c;
  }

  @Override
  public String toString() {
    return "SecretKeys[current=" + current.id() + ", opening=" + ids() + "]";
  }
}
