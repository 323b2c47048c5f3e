package dev.jvision.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ClientWatchTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 8080);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final String HEADER = "  sl  local_address                         remote_address                        st\n";
    /** The server's side of the connection as /proc/net/tcp6 lists it (IPv4-mapped), in state {@code st}. */
    private static String line(String st) {
        return "   0: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:9C40 " + st
                + " 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 20 4 0 10 -1\n";
    }

    @Test
    void aClientIsGoneWhenItsSocketClosesOrIsMissingFromTwoReadsInARow() throws Exception {
        AtomicReference<String> table = new AtomicReference<>(HEADER + line("01"));
        try (ClientWatch w = new ClientWatch(true, t -> t.endsWith("tcp6") ? table.get() : HEADER, false)) {
            AtomicInteger gone = new AtomicInteger();
            w.watch(SERVER, CLIENT, gone::incrementAndGet);
            long later = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            w.check(later);
            assertEquals(0, gone.get(), "established");
            table.set(HEADER);
            w.check(later);
            assertEquals(0, gone.get(), "one read that misses a socket proves nothing");
            table.set(HEADER + line("01"));
            w.check(later);
            table.set(HEADER);
            w.check(later);
            assertEquals(0, gone.get(), "misses must be in a row");
            w.check(later);
            assertEquals(1, gone.get(), "missing from two reads in a row: reset");
            w.check(later);
            assertEquals(1, gone.get(), "runs once");

            AtomicInteger closed = new AtomicInteger();
            w.watch(SERVER, CLIENT, closed::incrementAndGet);
            table.set(HEADER + line("08")); // CLOSE_WAIT: the client sent FIN
            w.check(System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
            assertEquals(1, closed.get(), "CLOSE_WAIT at the first read");
        }
    }

    @Test
    void predictionsAnsweredWithinAPeriodAreNotLookedAt() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        try (ClientWatch w = new ClientWatch(true, t -> {
            reads.incrementAndGet();
            return HEADER;
        }, false)) {
            AtomicInteger gone = new AtomicInteger();
            AutoCloseable handle = w.watch(SERVER, CLIENT, gone::incrementAndGet);
            w.check(System.nanoTime());
            assertEquals(0, reads.get());
            handle.close();
            w.check(System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
            w.check(System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
            assertEquals(0, gone.get(), "no longer watched");
        }
    }

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
