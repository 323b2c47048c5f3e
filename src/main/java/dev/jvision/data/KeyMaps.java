package dev.jvision.data;

import java.nio.file.Path;
import java.util.concurrent.locks.StampedLock;

/**
 * Compact open-addressing hash maps for the image cache's indexes: no boxed keys, values or
 * nodes, so an entry costs its table slot only ({@link Longs}: 16 bytes, {@link Paths}: 12 bytes
 * with compressed references) divided by the fill, which stays between 3/8 and 3/4.
 *
 * <p>Thread-safe: lookups are lock-free (an optimistic read validated by a {@link StampedLock},
 * retried under the read lock when a write raced with it), writes take the write lock. Entries
 * are never removed.
 */
final class KeyMaps {
    private KeyMaps() {}

    private static final int MIN_SLOTS = 16;

    private static int mix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        return (int) k;
    }

    /** long -> long, keys != 0. The table interleaves key and value so one read sees one table. */
    static final class Longs {
        private final StampedLock lock = new StampedLock();
        private long[] table = new long[2 * MIN_SLOTS];
        private int size;

        /** The value of {@code key}, or {@code missing} when absent. */
        long get(long key, long missing) {
            long stamp = lock.tryOptimisticRead();
            long[] t = table;
            int i = slot(t, key);
            long v = i < 0 ? missing : t[i + 1];
            if (lock.validate(stamp)) return v;
            stamp = lock.readLock();
            try {
                t = table;
                i = slot(t, key);
                return i < 0 ? missing : t[i + 1];
            } finally {
                lock.unlockRead(stamp);
            }
        }

        boolean containsKey(long key) {
            long stamp = lock.tryOptimisticRead();
            boolean has = slot(table, key) >= 0;
            if (lock.validate(stamp)) return has;
            stamp = lock.readLock();
            try {
                return slot(table, key) >= 0;
            } finally {
                lock.unlockRead(stamp);
            }
        }

        /** Index of {@code key} in {@code t}, or -1. Terminates on any snapshot: a table is never full. */
        private static int slot(long[] t, long key) {
            if (key == 0) return -1;
            int mask = t.length / 2 - 1;
            for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
                long k = t[2 * i];
                if (k == key) return 2 * i;
                if (k == 0) return -1;
            }
        }

        /** Stores {@code key -> value} unless {@code key} is present; returns whether it stored. */
        boolean putIfAbsent(long key, long value) {
            return put(key, value, false);
        }

        /** Stores {@code key -> value}, replacing an older value; returns whether the key was new. */
        boolean put(long key, long value) {
            return put(key, value, true);
        }

        private boolean put(long key, long value, boolean replace) {
            if (key == 0) throw new IllegalArgumentException("key 0 is reserved (empty slot)");
            long stamp = lock.writeLock();
            try {
                long[] t = table;
                int mask = t.length / 2 - 1;
                for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
                    long k = t[2 * i];
                    if (k == key) {
                        if (replace) t[2 * i + 1] = value;
                        return false;
                    }
                    if (k == 0) {
                        t[2 * i + 1] = value;
                        t[2 * i] = key;
                        if (++size > (t.length / 2) * 3 / 4) grow();
                        return true;
                    }
                }
            } finally {
                lock.unlockWrite(stamp);
            }
        }

        private void grow() {
            long[] old = table;
            long[] t = new long[old.length * 2];
            int mask = t.length / 2 - 1;
            for (int j = 0; j < old.length; j += 2) {
                long k = old[j];
                if (k == 0) continue;
                int i = mix(k) & mask;
                while (t[2 * i] != 0) i = (i + 1) & mask;
                t[2 * i] = k;
                t[2 * i + 1] = old[j + 1];
            }
            table = t;
        }

        int size() {
            long stamp = lock.readLock();
            try {
                return size;
            } finally {
                lock.unlockRead(stamp);
            }
        }

        /** Bytes held by the table. */
        long tableBytes() {
            return 8L * table.length;
        }

        /** Visits every entry (under the read lock: {@code body} must not write to this map). */
        void forEach(Entry body) {
            long stamp = lock.readLock();
            try {
                long[] t = table;
                for (int j = 0; j < t.length; j += 2) if (t[j] != 0) body.accept(t[j], t[j + 1]);
            } finally {
                lock.unlockRead(stamp);
            }
        }

        interface Entry {
            void accept(long key, long value);
        }
    }

    /** Path -> long (the path as given: equal paths share an entry; no copy of the path is made). */
    static final class Paths {
        private record Table(Path[] keys, long[] values) {}

        private final StampedLock lock = new StampedLock();
        private Table table = new Table(new Path[MIN_SLOTS], new long[MIN_SLOTS]);
        private int size;

        /** The value of {@code key}, or {@code missing} when absent. */
        long get(Path key, long missing) {
            long stamp = lock.tryOptimisticRead();
            long v = find(table, key, missing);
            if (lock.validate(stamp)) return v;
            stamp = lock.readLock();
            try {
                return find(table, key, missing);
            } finally {
                lock.unlockRead(stamp);
            }
        }

        private static long find(Table t, Path key, long missing) {
            Path[] ks = t.keys;
            int mask = ks.length - 1;
            for (int i = mix(key.hashCode()) & mask; ; i = (i + 1) & mask) {
                Path k = ks[i];
                if (k == null) return missing;
                if (k == key || k.equals(key)) return t.values[i];
            }
        }

        /** Stores {@code key -> value}, replacing an older value. */
        void put(Path key, long value) {
            long stamp = lock.writeLock();
            try {
                Table t = table;
                int mask = t.keys.length - 1;
                for (int i = mix(key.hashCode()) & mask; ; i = (i + 1) & mask) {
                    Path k = t.keys[i];
                    if (k == null) {
                        t.values[i] = value;
                        t.keys[i] = key;
                        if (++size > t.keys.length * 3 / 4) grow();
                        return;
                    }
                    if (k.equals(key)) {
                        t.values[i] = value;
                        return;
                    }
                }
            } finally {
                lock.unlockWrite(stamp);
            }
        }

        private void grow() {
            Table old = table;
            Table t = new Table(new Path[old.keys.length * 2], new long[old.keys.length * 2]);
            int mask = t.keys.length - 1;
            for (int j = 0; j < old.keys.length; j++) {
                Path k = old.keys[j];
                if (k == null) continue;
                int i = mix(k.hashCode()) & mask;
                while (t.keys[i] != null) i = (i + 1) & mask;
                t.keys[i] = k;
                t.values[i] = old.values[j];
            }
            table = t;
        }

        int size() {
            long stamp = lock.readLock();
            try {
                return size;
            } finally {
                lock.unlockRead(stamp);
            }
        }
    }
}
