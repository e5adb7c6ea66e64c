package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class RequiredToolTest {

  @Test
  void a_missing_tool_fails_the_test_in_ci() {
    assertThatThrownBy(() -> RequiredTool.check(false, "kubectl is not installed", "true"))
        .isInstanceOf(AssertionFailedError.class).hasMessageContaining("kubectl is not installed");
  }

  @Test
  void a_missing_tool_skips_the_test_outside_ci() {
    assertThatThrownBy(() -> RequiredTool.check(false, "node is not installed", null))
        .isInstanceOf(TestAbortedException.class).hasMessageContaining("node is not installed");
    assertThatThrownBy(() -> RequiredTool.check(false, "node is not installed", "false"))
        .isInstanceOf(TestAbortedException.class);
  }

  @Test
  void a_present_tool_lets_the_test_run_anywhere() {
    RequiredTool.check(true, "unused", "true");
    RequiredTool.check(true, "unused", null);
  }
}
