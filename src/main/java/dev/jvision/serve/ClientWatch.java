package dev.jvision.serve;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices HTTP/1.1 clients that close their connection while their prediction waits. A server
 * that is not reading a connection cannot see its end (Jetty reads again only after the answer),
 * and reading ahead would steal a pipelined request; so, on Linux, this watch reads the kernel's
 * socket table ({@code /proc/net/tcp6} and {@code tcp}) every {@value #PERIOD_MS} ms while
 * predictions have waited that long (reading the table costs the kernel a few ms on a large
 * host, so it is not read for requests that are answered quickly): a connection in state
 * CLOSE_WAIT (the client sent FIN) or closing runs its {@code onGone} once, and so does one
 * missing from two reads in a row (reset; one read can miss a live socket while others come and go).
 * Elsewhere (no {@code /proc}) it does nothing and a departed client's images are dropped at its
 * request timeout instead. Thread-safe.
 */
final class ClientWatch implements AutoCloseable {
    static final long PERIOD_MS = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(ClientWatch.class);
    private static final Path TCP = Path.of("/proc/net/tcp");
    private static final Path TCP6 = Path.of("/proc/net/tcp6");
    private static final String MAPPED = "0000000000000000FFFF0000";
    /** Socket states that mean the client is gone: CLOSE_WAIT, LAST_ACK, CLOSE, CLOSING. */
    private static final java.util.Set<String> GONE = java.util.Set.of("08", "09", "07", "0B");

    /** One waiting prediction's connection, as the kernel's table names it, and when the watch began. */
    private record Key(String local, String remote, long since) {}

    private final Map<Key, Runnable> watched = new ConcurrentHashMap<>();
    /** Watched connections missing from the last table read (gone, or skipped by a read that raced the table). */
    private final java.util.Set<Key> missing = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    private final boolean available;
    private final TableReader reader;

    /** Reads one of the kernel's socket tables (a test gives its own). */
    @FunctionalInterface
    interface TableReader {
        String read(Path table) throws IOException;
    }

    ClientWatch() {
        this(Files.isReadable(TCP), ClientWatch::read, true);
    }

    /** {@code schedule} false: nothing checks until a test calls {@link #check(long)}. */
    ClientWatch(boolean available, TableReader reader, boolean schedule) {
        this.available = available;
        this.reader = reader;
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jvision-serve-client-watch");
            t.setDaemon(true);
            return t;
        });
        if (available && schedule) {
            timer.scheduleWithFixedDelay(() -> check(System.nanoTime()), PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** Whether disconnects are detected on this system. */
    boolean available() {
        return available;
    }

    /**
     * Watches the connection {@code local <- remote} until the returned handle is closed; runs
     * {@code onGone} (once, on the watch's thread) if the client goes away first.
     */
    AutoCloseable watch(InetSocketAddress local, InetSocketAddress remote, Runnable onGone) {
        if (!available || local == null || remote == null) {
            return () -> { };
        }
        Key k = new Key(hex(local), hex(remote), System.nanoTime());
        watched.put(k, onGone);
        return () -> {
            watched.remove(k, onGone);
            missing.remove(k);
        };
    }

    /** Runs {@code onGone} of the departed clients among the predictions that had waited a period at {@code now}. */
    void check(long now) {
        // only predictions that have waited a full period: most are answered before anyone looks
        long cutoff = now - TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);
        if (watched.keySet().stream().noneMatch(k -> k.since() < cutoff)) {
            return;
        }
        try {
            // Java's sockets are dual-stack: IPv4 peers appear in tcp6 as IPv4-mapped addresses
            String v6 = reader.read(TCP6);
            String v4 = null;
            for (Map.Entry<Key, Runnable> e : watched.entrySet()) {
                Key k = e.getKey();
                if (k.since() >= cutoff) {
                    continue;
                }
                String st = state(v6, MAPPED + k.local() + " " + MAPPED + k.remote());
                if (st == null) {
                    st = state(v6, k.local() + " " + k.remote());
                }
                if (st == null) {
                    v4 = v4 != null ? v4 : reader.read(TCP);
                    st = state(v4, k.local() + " " + k.remote());
                }
                // a live connection can be missing from one read (the kernel writes the table in pages and
                // goes on from an offset, so sockets opened or closed meanwhile shift others out of view):
                // a connection counts as reset only when two reads in a row miss it
                boolean gone = st == null ? !missing.add(k) : GONE.contains(st);
                if (st != null) {
                    missing.remove(k);
                }
                if (gone && watched.remove(k, e.getValue())) {
                    missing.remove(k);
                    e.getValue().run();
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("client watch: {}", e.toString());
        }
    }

    private static String read(Path table) throws IOException {
        return Files.isReadable(table) ? Files.readString(table, java.nio.charset.StandardCharsets.US_ASCII) : "";
    }

    /** The state column of the line whose addresses are {@code pair}, or null when there is none. */
    private static String state(String table, String pair) {
        int at = table.indexOf(pair);
        if (at < 0) {
            return null;
        }
        int s = at + pair.length();
        while (s < table.length() && table.charAt(s) == ' ') {
            s++;
        }
        return s + 2 <= table.length() ? table.substring(s, s + 2) : null;
    }

    /** An address as the kernel's table writes it: the address in host (little-endian) words, then the port. */
    static String hex(InetSocketAddress a) {
        byte[] b = a.getAddress().getAddress();
        StringBuilder s = new StringBuilder(b.length * 2 + 5);
        for (int w = 0; w < b.length; w += 4) { // once per request: no String.format
            for (int i = 3; i >= 0; i--) {
                hexByte(s, b[w + i]);
            }
        }
        s.append(':');
        hexByte(s, a.getPort() >> 8);
        hexByte(s, a.getPort());
        return s.toString();
    }

    private static void hexByte(StringBuilder s, int v) {
        s.append(HEX[(v >> 4) & 0xf]).append(HEX[v & 0xf]);
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    @Override
    public void close() {
        timer.shutdownNow();
        watched.clear();
        missing.clear();
    }
}
