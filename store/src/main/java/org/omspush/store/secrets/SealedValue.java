package org.omspush.store.secrets;

/**
 * A secret as the database keeps it: AES-256-GCM, {@code box} = 12-byte nonce, ciphertext and
 * 16-byte tag, under the key with id {@code keyId}.
 */
public record SealedValue(String keyId, byte[] box) {

  @Override
  public String toString() {
    return "SealedValue[keyId=" + keyId + ", " + box.length + " bytes]";
  }
}
