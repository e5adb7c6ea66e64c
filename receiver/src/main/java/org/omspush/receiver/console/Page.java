package org.omspush.receiver.console;

/** What every signed-in page needs. */
final class Page {
  private Page() {}

  /**
   * @param role  admin or view
   * @param csrf  the session's CSRF token
   * @param flash the outcome of the last action, or null
   */
  record Context(String role, String csrf, String flash) {
    boolean admin() {
      return "admin".equals(role);
    }
  }
}
