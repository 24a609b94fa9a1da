package dev.mercato.gateway.keys;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The addresses a key may be used from: IPv4 and IPv6 addresses and CIDR ranges. Entries are
 * parsed strictly (literal addresses only, never a host name to resolve) and kept in
 * canonical form ({@code 10.0.0.0/8}, {@code 2001:db8::/32}).
 */
public final class IpAllowlist {

    /** Most entries one key may list (the schema checks the same). */
    public static final int MAX_ENTRIES = 100;

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");

    private final List<Range> ranges;

    private IpAllowlist(List<Range> ranges) {
        this.ranges = ranges;
    }

    /** @throws IllegalArgumentException naming the first entry that is not an address or a CIDR range */
    public static IpAllowlist parse(List<String> entries) {
        if (entries.isEmpty() || entries.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException("an IP allowlist has 1 to " + MAX_ENTRIES + " entries, was "
                + entries.size());
        }
        List<Range> ranges = new ArrayList<>(entries.size());
        for (String entry : entries) {
            ranges.add(Range.parse(entry));
        }
        return new IpAllowlist(List.copyOf(ranges));
    }

    public boolean allows(InetAddress address) {
        byte[] bytes = address.getAddress();
        for (Range range : ranges) {
            if (range.contains(bytes)) {
                return true;
            }
        }
        return false;
    }

    /** The entries in canonical form, as stored and shown. */
    public List<String> entries() {
        return ranges.stream().map(Range::canonical).toList();
    }

    private record Range(byte[] network, int prefixBits, String canonical) {

        static Range parse(String entry) {
            String text = entry == null ? "" : entry.trim();
            int slash = text.indexOf('/');
            String addressText = slash < 0 ? text : text.substring(0, slash);
            byte[] address = literal(addressText, entry);
            int maxBits = address.length * 8;
            int bits = maxBits;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(text.substring(slash + 1));
                } catch (NumberFormatException e) {
                    bits = -1;
                }
                if (bits < 0 || bits > maxBits) {
                    throw new IllegalArgumentException("'" + entry + "' is not a valid CIDR range: the prefix length must be 0 to "
                        + maxBits);
                }
            }
            byte[] network = mask(address, bits);
            String canonical;
            try {
                canonical = InetAddress.getByAddress(network).getHostAddress() + (bits == maxBits ? "" : "/" + bits);
            } catch (UnknownHostException e) {
                throw new IllegalStateException("a 4- or 16-byte address is always valid", e);
            }
            return new Range(network, bits, canonical);
        }

        private static byte[] literal(String text, String entry) {
            boolean looksLiteral = IPV4.matcher(text).matches() || (text.contains(":") && IPV6.matcher(text).matches());
            if (looksLiteral) {
                try {
                    // Only literals reach here, so nothing is looked up in DNS.
                    return InetAddress.getByName(text).getAddress();
                } catch (UnknownHostException e) {
                    // falls through to the refusal below
                }
            }
            throw new IllegalArgumentException("'" + entry + "' is not an IPv4 or IPv6 address or CIDR range");
        }

        private static byte[] mask(byte[] address, int bits) {
            BigInteger value = new BigInteger(1, address);
            int totalBits = address.length * 8;
            BigInteger hostMask = BigInteger.ONE.shiftLeft(totalBits - bits).subtract(BigInteger.ONE);
            byte[] raw = value.andNot(hostMask).toByteArray();
            byte[] network = new byte[address.length];
            int copy = Math.min(raw.length, network.length);
            System.arraycopy(raw, raw.length - copy, network, network.length - copy, copy);
            return network;
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false; // an IPv4 client never matches an IPv6 range, nor the other way round
            }
            int fullBytes = prefixBits / 8;
            for (int i = 0; i < fullBytes; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int restBits = prefixBits % 8;
            if (restBits == 0) {
                return true;
            }
            int byteMask = (0xFF << (8 - restBits)) & 0xFF;
            return (address[fullBytes] & byteMask) == (network[fullBytes] & byteMask);
        }
    }
}
