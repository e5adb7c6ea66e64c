package org.omspush.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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

  /** Each range of the IANA special-purpose registries, an address inside it, and the refusal's words. */
  @ParameterizedTest(name = "{0} ({1}) is refused as {2}")
  @CsvSource(delimiter = '|', textBlock = """
      0.0.0.0/8          | 0.1.2.3           | unspecified
      10.0.0.0/8         | 10.200.0.1        | private
      100.64.0.0/10      | 100.127.255.254   | carrier-grade NAT
      127.0.0.0/8        | 127.0.0.2         | loopback
      169.254.0.0/16     | 169.254.169.254   | link-local (cloud metadata)
      172.16.0.0/12      | 172.31.0.1        | private
      192.0.0.0/24       | 192.0.0.170       | reserved
      192.0.2.0/24       | 192.0.2.10        | documentation
      192.31.196.0/24    | 192.31.196.1      | reserved
      192.52.193.0/24    | 192.52.193.1      | reserved
      192.88.99.0/24     | 192.88.99.1       | reserved
      192.168.0.0/16     | 192.168.255.1     | private
      192.175.48.0/24    | 192.175.48.6      | reserved
      198.18.0.0/15      | 198.19.0.1        | benchmarking
      198.51.100.0/24    | 198.51.100.7      | documentation
      203.0.113.0/24     | 203.0.113.9       | documentation
      224.0.0.0/4        | 239.255.255.250   | multicast
      240.0.0.0/4        | 250.1.2.3         | reserved
      255.255.255.255/32 | 255.255.255.255   | reserved
      ::/128             | ::                | unspecified
      ::1/128            | ::1               | loopback
      ::ffff:0:0/96      | ::ffff:10.0.0.1   | private
      64:ff9b::/96       | 64:ff9b::a9fe:a9fe | link-local (cloud metadata) (IPv4 inside IPv6)
      64:ff9b:1::/48     | 64:ff9b:1::8.8.8.8 | NAT64 local-use
      100::/64           | 100::1            | discard-only
      100:0:0:1::/64     | 100:0:0:1::1      | reserved
      2001::/23          | 2001:1::1         | reserved
      2001::/32          | 2001:0:4136:e378:8000:63bf:3fff:fdd2 | Teredo
      2001:2::/48        | 2001:2::1         | reserved
      2001:3::/32        | 2001:3::1         | reserved
      2001:4:112::/48    | 2001:4:112::1     | reserved
      2001:10::/28       | 2001:10::1        | reserved
      2001:20::/28       | 2001:20::1        | reserved
      2001:30::/28       | 2001:30::1        | reserved
      2001:db8::/32      | 2001:db8::1       | documentation
      2002::/16          | 2002:7f00:1::1    | loopback (IPv4 inside IPv6)
      2620:4f:8000::/48  | 2620:4f:8000::1   | reserved
      3fff::/20          | 3fff:fff::1       | documentation
      5f00::/16          | 5f00::1           | reserved
      fc00::/7           | fd00:ec2::254     | unique-local (private, cloud metadata)
      fe80::/10          | fe80::1           | link-local
      fec0::/10          | fec0::1           | site-local
      ff00::/8           | ff02::1           | multicast
      """)
  void every_iana_special_purpose_range_is_refused(String range, String address, String why) {
    if (!range.startsWith("::ffff:")) { // Java reads IPv4-mapped addresses as IPv4
      assertThat(Cidr.parse(range).contains(addr(address))).as("%s is in %s", address, range).isTrue();
    }
    String url = "https://" + (address.contains(":") ? "[" + address + "]" : address) + "/hook";
    assertThatThrownBy(() -> strict.check(url)).isInstanceOf(DestinationRefusedException.class)
        .hasMessageContaining("a " + why + " address");
  }

  @ParameterizedTest
  @ValueSource(strings = {"93.184.216.34", "192.0.3.1", "198.20.0.1", "203.0.114.1", "2606:2800:220:1::1",
      "2001:200::1", "64:ff9b::5db8:d822", "2002:5db8:d822::1", "2001:db9::1"})
  void public_addresses_next_to_those_ranges_are_allowed(String address) throws Exception {
    String url = "https://" + (address.contains(":") ? "[" + address + "]" : address) + "/hook";
    assertThat(strict.check(url)).isNotNull();
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
