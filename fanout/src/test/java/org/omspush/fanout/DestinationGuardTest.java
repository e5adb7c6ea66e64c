package org.omspush.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DestinationGuardTest {
  private final DestinationGuard strict = DestinationGuard.of("", false)
      .withResolver(host -> switch (host) {
        case "public.example" -> new InetAddress[] {InetAddress.getByName("93.184.216.34")};
        case "mixed.example" -> new InetAddress[] {InetAddress.getByName("93.184.216.34"), InetAddress.getByName("10.1.2.3")};
        case "localhost" -> new InetAddress[] {InetAddress.getByName("127.0.0.1")};
        default -> throw new java.net.UnknownHostException(host);
      });

  @ParameterizedTest
  @ValueSource(strings = {
      "https://127.0.0.1/hook", "https://127.9.9.9/hook", "https://[::1]/hook", "https://localhost/hook",
      "https://10.0.0.1/hook", "https://172.16.5.4/hook", "https://192.168.1.1/hook", "https://100.64.0.1/hook",
      "https://169.254.169.254/latest/meta-data", "https://[fd00:ec2::254]/", "https://[fe80::1]/",
      "https://0.0.0.0/", "https://[::]/", "https://224.0.0.1/", "https://[ff02::1]/", "https://255.255.255.255/",
      "https://[::ffff:127.0.0.1]/", "https://[::ffff:169.254.169.254]/", "https://2130706433/",
      "https://mixed.example/hook"})
  void internal_destinations_are_refused(String url) {
    assertThatThrownBy(() -> strict.check(url)).isInstanceOf(DestinationRefusedException.class)
        .hasMessageContaining("OMS_SUBSCRIBER_ALLOW");
  }

  @Test
  void a_public_https_destination_is_allowed() throws Exception {
    assertThat(strict.resolve(strict.check("https://public.example:8443/hook?x=1")).getHostAddress())
        .isEqualTo("93.184.216.34");
  }

  @Test
  void plain_http_only_when_allowed() throws Exception {
    assertThatThrownBy(() -> strict.check("http://public.example/hook")).hasMessageContaining("https");
    DestinationGuard http = DestinationGuard.of("", true).withResolver(h -> new InetAddress[] {
        InetAddress.getByName("93.184.216.34")});
    http.check("http://public.example/hook");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://public.example/", "https://user:pw@public.example/", "https:///nohost",
      "https://public.example/#frag", "not a url", "https://nowhere.example/"})
  void malformed_or_unresolvable_urls_are_refused(String url) {
    assertThatThrownBy(() -> strict.check(url)).isInstanceOf(DestinationRefusedException.class);
  }

  @Test
  void the_allow_list_exempts_ranges_and_host_names() throws Exception {
    DestinationGuard allowing = DestinationGuard.of("127.0.0.1/32, fd00::/8, hooks.internal", false)
        .withResolver(h -> new InetAddress[] {InetAddress.getByName("10.9.9.9")});
    allowing.check("https://127.0.0.1:9999/hook");
    allowing.check("https://[fd12::1]/hook");
    allowing.check("https://hooks.internal/hook");
    assertThatThrownBy(() -> allowing.check("https://127.0.0.2/hook")).hasMessageContaining("loopback");
    assertThatThrownBy(() -> allowing.check("https://other.internal/hook")).hasMessageContaining("private");
  }

  @Test
  void allow_list_entries_that_are_neither_ranges_nor_names_are_refused() {
    assertThatThrownBy(() -> DestinationGuard.of("127.0.0.1/40", true)).hasMessageContaining("prefix");
    assertThatThrownBy(() -> DestinationGuard.of("ex ample.com", true)).hasMessageContaining("neither");
  }

  @Test
  void cidr_contains_what_its_prefix_says() {
    Cidr c = Cidr.parse("172.16.0.0/12");
    assertThat(c.contains(addr("172.31.255.255"))).isTrue();
    assertThat(c.contains(addr("172.32.0.0"))).isFalse();
    assertThat(c.contains(addr("::1"))).isFalse();
    assertThat(URI.create("https://[::1]:8443/").getHost()).isEqualTo("[::1]");
  }

  private static InetAddress addr(String s) {
    try {
      return InetAddress.getByName(s);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
