package org.omspush.fanout;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The SSRF guard: a subscriber URL must be https (http only when allowed) and its host must not
 * resolve to an address of the IANA special-purpose registries (loopback, private, link-local
 * and cloud metadata, unique-local, carrier-grade NAT, Teredo, NAT64 local-use, documentation,
 * benchmarking, unspecified, reserved…) or a multicast address, unless the allow-list
 * ({@code OMS_SUBSCRIBER_ALLOW}: CIDRs or host names) permits it.
 *
 * <p>Checked when a subscriber is created or changed ({@link #check}) and again before every
 * connection ({@link #resolve}): the name is resolved, every address is checked, and the caller
 * connects to the checked address, not to the name, so a DNS answer that changes in between
 * (rebinding) cannot steer a delivery inside.
 *
 * <p>{@link #resolve} and {@link #check} look names up in DNS: they block, so call them from a
 * worker thread.
 */
public final class DestinationGuard {

  /** Looks a host name up; {@link InetAddress#getAllByName} in production, a fake in tests. */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  /** A range of the IANA special-purpose address registries, and what it is called in a refusal. */
  private record Special(Cidr range, String why) {}

  /**
   * The IANA IPv4 Special-Purpose Address Registry, every entry, and multicast. Those the
   * registry calls globally reachable (anycast services, AS112) are refused too: no webhook lives
   * there.
   */
  private static final List<Special> SPECIAL_V4 = specials(
      "0.0.0.0/8", "unspecified",                        // "this network"
      "10.0.0.0/8", "private",
      "100.64.0.0/10", "carrier-grade NAT",              // shared address space
      "127.0.0.0/8", "loopback",
      "169.254.0.0/16", "link-local (cloud metadata)",   // 169.254.169.254
      "172.16.0.0/12", "private",
      "192.0.0.0/24", "reserved",                        // IETF protocol assignments (DS-Lite, NAT64 discovery…)
      "192.0.2.0/24", "documentation",                   // TEST-NET-1
      "192.31.196.0/24", "reserved",                     // AS112-v4
      "192.52.193.0/24", "reserved",                     // AMT
      "192.88.99.0/24", "reserved",                      // 6to4 relay anycast (deprecated)
      "192.168.0.0/16", "private",
      "192.175.48.0/24", "reserved",                     // AS112 direct delegation
      "198.18.0.0/15", "benchmarking",
      "198.51.100.0/24", "documentation",                // TEST-NET-2
      "203.0.113.0/24", "documentation",                 // TEST-NET-3
      "224.0.0.0/4", "multicast",
      "240.0.0.0/4", "reserved");                        // and 255.255.255.255, limited broadcast

  /**
   * The IANA IPv6 Special-Purpose Address Registry, every entry but those that embed an IPv4
   * address whose own check decides ({@code ::ffff:0:0/96} mapped, {@code 64:ff9b::/96} the
   * well-known NAT64 prefix, {@code 2002::/16} 6to4: see {@link #forbidden}); and multicast,
   * site-local and the deprecated IPv4-compatible block.
   */
  private static final List<Special> SPECIAL_V6 = specials(
      "::/128", "unspecified",
      "::1/128", "loopback",
      "64:ff9b:1::/48", "NAT64 local-use",               // translates to addresses of the local network
      "100::/64", "discard-only",
      "100:0:0:1::/64", "reserved",                      // dummy prefix
      "2001::/32", "Teredo",                             // tunnels to an IPv4 address
      "2001::/23", "reserved",                           // IETF protocol assignments (ORCHID, AMT, AS112…)
      "2001:db8::/32", "documentation",
      "2620:4f:8000::/48", "reserved",                   // AS112 direct delegation
      "3fff::/20", "documentation",
      "5f00::/16", "reserved",                           // segment routing (SRv6) SIDs
      "fc00::/7", "unique-local (private, cloud metadata)", // fd00:ec2::254, the AWS metadata service
      "fe80::/10", "link-local",
      "fec0::/10", "site-local",                         // deprecated
      "ff00::/8", "multicast");

  private final boolean allowHttp;
  private final List<Cidr> allowedNetworks;
  private final Set<String> allowedHosts;
  private final Resolver resolver;

  public DestinationGuard(boolean allowHttp, List<Cidr> allowedNetworks, Set<String> allowedHosts, Resolver resolver) {
    this.allowHttp = allowHttp;
    this.allowedNetworks = List.copyOf(allowedNetworks);
    Set<String> hosts = new TreeSet<>();
    allowedHosts.forEach(h -> hosts.add(h.toLowerCase(Locale.ROOT)));
    this.allowedHosts = Set.copyOf(hosts);
    this.resolver = resolver;
  }

  /**
   * From the settings' text: a comma-separated list of CIDRs ({@code 127.0.0.1/32},
   * {@code fd00::/8}), addresses and host names.
   *
   * @throws IllegalArgumentException naming the entry that is neither
   */
  public static DestinationGuard of(String allowList, boolean allowHttp) {
    List<Cidr> networks = new ArrayList<>();
    Set<String> hosts = new TreeSet<>();
    if (allowList != null) {
      for (String raw : allowList.split(",")) {
        String entry = raw.strip();
        if (entry.isEmpty()) {
          continue;
        }
        if (entry.matches("[0-9.]+(/\\d+)?") || entry.contains(":")) {
          networks.add(Cidr.parse(entry));
        } else if (entry.matches("(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
          hosts.add(entry);
        } else {
          throw new IllegalArgumentException("'" + entry + "' is neither an address range (CIDR) nor a host name");
        }
      }
    }
    return new DestinationGuard(allowHttp, networks, hosts, InetAddress::getAllByName);
  }

  /** The same rules with another resolver (tests). */
  public DestinationGuard withResolver(Resolver other) {
    return new DestinationGuard(allowHttp, allowedNetworks, allowedHosts, other);
  }

  /** Whether plain http is allowed. */
  public boolean allowsHttp() {
    return allowHttp;
  }

  /**
   * The URL's form: absolute http(s) with a host, no user info, no fragment.
   *
   * @throws DestinationRefusedException saying what is wrong
   */
  public URI parse(String url) throws DestinationRefusedException {
    if (url == null || url.isBlank()) {
      throw new DestinationRefusedException("the url is missing");
    }
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw new DestinationRefusedException("the url is not valid: " + e.getMessage());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("http")) {
      if (!allowHttp) {
        throw new DestinationRefusedException(
            "the url must use https (plain http is allowed only with OMS_SUBSCRIBER_ALLOW_HTTP=true)");
      }
    } else if (!scheme.equals("https")) {
      throw new DestinationRefusedException("the url must be an https URL, not '" + (scheme.isEmpty() ? url : scheme) + "'");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new DestinationRefusedException("the url has no host name");
    }
    if (uri.getRawUserInfo() != null) {
      throw new DestinationRefusedException("the url must not contain a user name or password");
    }
    if (uri.getRawFragment() != null) {
      throw new DestinationRefusedException("the url must not contain a #fragment");
    }
    if (uri.getPort() == 0) {
      throw new DestinationRefusedException("the url's port must not be 0");
    }
    return uri;
  }

  /** {@link #parse} and {@link #resolve}: what creating or changing a subscriber checks. Blocks (DNS). */
  public URI check(String url) throws DestinationRefusedException {
    URI uri = parse(url);
    resolve(uri);
    return uri;
  }

  /**
   * The address to connect to for {@code uri}: every address the host resolves to must be
   * allowed (a name with one internal address among public ones is refused). Blocks (DNS).
   *
   * @throws DestinationRefusedException when the host does not resolve or an address is not allowed
   */
  public InetAddress resolve(URI uri) throws DestinationRefusedException {
    String host = hostOf(uri);
    InetAddress[] addresses;
    try {
      addresses = isLiteral(host) ? new InetAddress[] {InetAddress.getByName(host)} : resolver.resolve(host);
    } catch (UnknownHostException e) {
      throw new DestinationRefusedException("the host " + host + " does not resolve");
    }
    if (addresses == null || addresses.length == 0) {
      throw new DestinationRefusedException("the host " + host + " does not resolve");
    }
    if (allowedHosts.contains(host.toLowerCase(Locale.ROOT))) {
      return addresses[0];
    }
    for (InetAddress a : addresses) {
      String why = forbidden(a);
      if (why != null && allowedNetworks.stream().noneMatch(n -> n.contains(a))) {
        throw new DestinationRefusedException("the host " + host + " resolves to " + a.getHostAddress()
            + ", a " + why + " address; such destinations are refused unless OMS_SUBSCRIBER_ALLOW lists them");
      }
    }
    return addresses[0];
  }

  /** The host without IPv6 brackets. */
  public static String hostOf(URI uri) {
    String host = uri.getHost();
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /** Why an address is internal (e.g. "loopback"), or null for a public one. */
  static String forbidden(InetAddress a) {
    if (a instanceof Inet4Address) {
      return forbiddenV4(a);
    }
    byte[] b = a.getAddress();
    // IPv4 inside IPv6: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16)
    if (isZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
      return embedded(b, 12);
    }
    if (isZero(b, 0, 12) && !(isZero(b, 12, 15) && (b[15] == 0 || b[15] == 1))) {
      return embedded(b, 12);
    }
    if ((b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b
        && isZero(b, 4, 12)) {
      return embedded(b, 12);
    }
    if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
      return embedded(b, 2);
    }
    return special(SPECIAL_V6, a);
  }

  private static String embedded(byte[] b, int offset) {
    try {
      String why = forbiddenV4(InetAddress.getByAddress(new byte[] {b[offset], b[offset + 1], b[offset + 2], b[offset + 3]}));
      return why == null ? null : why + " (IPv4 inside IPv6)";
    } catch (UnknownHostException e) {
      return "malformed";
    }
  }

  private static String forbiddenV4(InetAddress a) {
    return special(SPECIAL_V4, a);
  }

  /** The first matching range's name: more specific ranges come before the ones that hold them. */
  private static String special(List<Special> ranges, InetAddress a) {
    for (Special r : ranges) {
      if (r.range().contains(a)) {
        return r.why();
      }
    }
    return null;
  }

  private static boolean isZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isLiteral(String host) {
    // numbers only: an IPv4 literal in any of its forms (127.1, 2130706433), never a DNS name
    return host.contains(":") || host.matches("[0-9.]+");
  }

  private static List<Special> specials(String... rangesAndNames) {
    List<Special> out = new ArrayList<>();
    for (int i = 0; i < rangesAndNames.length; i += 2) {
      out.add(new Special(Cidr.parse(rangesAndNames[i]), rangesAndNames[i + 1]));
    }
    return List.copyOf(out);
  }

  @Override
  public String toString() {
    return "DestinationGuard[allowHttp=" + allowHttp + ", allow=" + allowedNetworks + " " + allowedHosts + "]";
  }
}
