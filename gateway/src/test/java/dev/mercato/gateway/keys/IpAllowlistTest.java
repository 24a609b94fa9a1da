package dev.mercato.gateway.keys;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpAllowlistTest {

    @Test
    void matchesAddressesAndRangesOfBothFamilies() throws Exception {
        IpAllowlist list = IpAllowlist.parse(List.of("10.1.2.3", "192.168.0.0/16", "2001:db8::/32", "::1"));
        assertTrue(list.allows(InetAddress.getByName("10.1.2.3")));
        assertFalse(list.allows(InetAddress.getByName("10.1.2.4")));
        assertTrue(list.allows(InetAddress.getByName("192.168.255.1")));
        assertFalse(list.allows(InetAddress.getByName("192.169.0.1")));
        assertTrue(list.allows(InetAddress.getByName("2001:db8:ffff::7")));
        assertFalse(list.allows(InetAddress.getByName("2001:db9::7")));
        assertTrue(list.allows(InetAddress.getByName("::1")));
        assertFalse(list.allows(InetAddress.getByName("127.0.0.1")), "IPv4 loopback is not ::1");
    }

    @Test
    void keepsEntriesInCanonicalForm() {
        assertEquals(List.of("10.0.0.0/8", "2001:db8:0:0:0:0:0:0/32", "0.0.0.0/0", "127.0.0.1"),
            IpAllowlist.parse(List.of("10.9.8.7/8", "2001:DB8::1/32", "0.0.0.0/0", " 127.0.0.1 ")).entries());
    }

    @Test
    void aPrefixThatIsNotAWholeByteMatchesExactly() throws Exception {
        IpAllowlist list = IpAllowlist.parse(List.of("172.16.0.0/12"));
        assertTrue(list.allows(InetAddress.getByName("172.31.255.255")));
        assertFalse(list.allows(InetAddress.getByName("172.32.0.0")));
        assertFalse(list.allows(InetAddress.getByName("172.15.255.255")));
    }

    @Test
    void namesTheBadEntry() {
        assertEquals("'10.0.0.0/33' is not a valid CIDR range: the prefix length must be 0 to 32",
            assertThrows(IllegalArgumentException.class, () -> IpAllowlist.parse(List.of("1.1.1.1", "10.0.0.0/33")))
                .getMessage());
        assertEquals("'example.com' is not an IPv4 or IPv6 address or CIDR range",
            assertThrows(IllegalArgumentException.class, () -> IpAllowlist.parse(List.of("example.com"))).getMessage());
        assertEquals("'300.1.1.1' is not an IPv4 or IPv6 address or CIDR range",
            assertThrows(IllegalArgumentException.class, () -> IpAllowlist.parse(List.of("300.1.1.1"))).getMessage());
        assertEquals("'::1/129' is not a valid CIDR range: the prefix length must be 0 to 128",
            assertThrows(IllegalArgumentException.class, () -> IpAllowlist.parse(List.of("::1/129"))).getMessage());
        assertEquals("'10.0.0.0/x' is not a valid CIDR range: the prefix length must be 0 to 32",
            assertThrows(IllegalArgumentException.class, () -> IpAllowlist.parse(List.of("10.0.0.0/x"))).getMessage());
    }
}
