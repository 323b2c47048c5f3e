package dev.jvision.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class ClientWatchTest {
    @Test
    void addressesAreWrittenAsTheKernelsSocketTableWritesThem() throws Exception {
        // /proc/net/tcp: the IPv4 address as one little-endian word, then the port, in upper-case hex
        assertEquals("0100007F:1F90", ClientWatch.hex(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080)));
        assertEquals("0A01A8C0:0001", ClientWatch.hex(new InetSocketAddress(InetAddress.getByName("192.168.1.10"), 1)));
        // /proc/net/tcp6: four little-endian words
        assertEquals("00000000000000000000000001000000:01BB",
                ClientWatch.hex(new InetSocketAddress(InetAddress.getByName("::1"), 443)));
        assertEquals("000080FE00000000FFBEAD0BEFBEADDE:FFFF",
                ClientWatch.hex(new InetSocketAddress(InetAddress.getByName("fe80::bad:beff:dead:beef"), 65535)));
    }
}
