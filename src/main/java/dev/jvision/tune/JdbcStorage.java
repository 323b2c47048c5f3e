package dev.jvision.tune;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Studies in a relational database: an embedded SQLite file (one machine, any number of worker
 * processes) or a PostgreSQL server (workers on many machines), like Optuna's RDB storage.
 *
 * <p>The schema is versioned ({@code jvision_schema}); opening a database created by a newer
 * jvision fails with a message, an older one is migrated. Trial claims run in one transaction
 * that holds the study's lock (SQLite: {@code BEGIN IMMEDIATE}; PostgreSQL:
 * {@code SELECT ... FOR UPDATE} on the study row), so trial numbers are unique and the trial
 * budget is exact over all workers. Times (claims, heartbeats, ends) come from the database's
 * clock, so workers on machines with skewed clocks agree on what is stale. Busy/serialisation
 * errors are retried.
 *
 * <p>One connection per storage; methods are synchronized, so the object is thread-safe.
 * {@link #close()} closes the connection.
 */
public final class JdbcStorage implements StudyStorage {
    /** The schema version this code writes. */
    public static final int SCHEMA_VERSION = 1;

    private enum Dialect { SQLITE, POSTGRES }

    private final Connection conn;
    private final Dialect dialect;
    private final String description;

    private JdbcStorage(Connection conn, Dialect dialect, String description) {
        this.conn = conn;
        this.dialect = dialect;
        this.description = description;
        initSchema();
    }

    /**
     * Opens a storage from a CLI-style spec: {@code sqlite:PATH},
     * {@code postgresql://[user[:password]@]host[:port]/db[?params]} or a {@code jdbc:} URL
     * (SQLite or PostgreSQL).
     *
     * @throws IllegalArgumentException for another spec, or a database that cannot be opened
     */
    public static JdbcStorage open(String spec) {
        if (spec.startsWith("sqlite:")) {
            return sqlite(Path.of(spec.substring("sqlite:".length())));
        }
        if (spec.startsWith("jdbc:sqlite:")) {
            return sqlite(Path.of(spec.substring("jdbc:sqlite:".length())));
        }
        if (spec.startsWith("postgresql://") || spec.startsWith("postgres://")) {
            URI u = URI.create(spec);
            Properties p = new Properties();
            if (u.getRawUserInfo() != null) {
                String[] ui = u.getRawUserInfo().split(":", 2);
                p.setProperty("user", URLDecoder.decode(ui[0], StandardCharsets.UTF_8));
                if (ui.length > 1) {
                    p.setProperty("password", URLDecoder.decode(ui[1], StandardCharsets.UTF_8));
                }
            }
            String url = "jdbc:postgresql://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + u.getRawPath()
                    + (u.getRawQuery() != null ? "?" + u.getRawQuery() : "");
            return postgres(url, p);
        }
        if (spec.startsWith("jdbc:postgresql:")) {
            return postgres(spec, new Properties());
        }
        throw new IllegalArgumentException("storage: " + spec
                + " (expected: sqlite:PATH or postgresql://[user[:password]@]host[:port]/database)");
    }

    /** A SQLite study file (created with its folder if absent; WAL journal, 60 s busy timeout). */
    public static JdbcStorage sqlite(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Properties p = new Properties();
            p.setProperty("journal_mode", "WAL");
            p.setProperty("busy_timeout", "60000");
            p.setProperty("synchronous", "NORMAL");
            requireDriver("org.sqlite.JDBC", "org.xerial:sqlite-jdbc", "sqlite:" + file);
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, p);
            c.setAutoCommit(true);
            return new JdbcStorage(c, Dialect.SQLITE, "sqlite:" + file);
        } catch (SQLException | java.io.IOException e) {
            throw new IllegalArgumentException("storage sqlite:" + file + ": cannot open (" + e.getMessage() + ")", e);
        }
    }

    /** A PostgreSQL database ({@code jdbc:postgresql://...}; user/password in {@code props} or the URL). */
    public static JdbcStorage postgres(String jdbcUrl, Properties props) {
        requireDriver("org.postgresql.Driver", "org.postgresql:postgresql", jdbcUrl);
        try {
            Connection c = DriverManager.getConnection(jdbcUrl, props);
            c.setAutoCommit(true);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            return new JdbcStorage(c, Dialect.POSTGRES, jdbcUrl);
        } catch (SQLException e) {
            throw new IllegalArgumentException("storage " + jdbcUrl + ": cannot connect (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public String toString() {
        return description;
    }

    /**
     * The JDBC drivers are optional dependencies of the library (the {@code jvision} launcher has
     * both): an application that stores studies in a database adds the driver it uses.
     */
    private static void requireDriver(String driverClass, String artifact, String storage) {
        try {
            Class.forName(driverClass, true, JdbcStorage.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("storage " + storage + ": JDBC driver " + driverClass
                    + " is not on the class path (expected: add the dependency " + artifact + ")", e);
        }
    }

    // ---- transactions -------------------------------------------------------------------------

    @FunctionalInterface
    private interface Work<T> {
        T run() throws SQLException;
    }

    /** Runs {@code work} in one transaction (study-wide write lock on SQLite), retrying busy/serialisation errors. */
    private synchronized <T> T tx(Work<T> work) {
        SQLException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            try {
                begin();
                T r = work.run();
                commit();
                return r;
            } catch (RuntimeException e) {
                rollbackQuietly();
                throw e;
            } catch (SQLException e) {
                rollbackQuietly();
                last = e;
                if (!retryable(e)) {
                    break;
                }
                try {
                    Thread.sleep(20L * (attempt + 1) + (long) (Math.random() * 50));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw new IllegalStateException("study storage " + description + ": " + last.getMessage(), last);
    }

    private void begin() throws SQLException {
        if (dialect == Dialect.SQLITE) {
            try (Statement s = conn.createStatement()) {
                s.execute("BEGIN IMMEDIATE");
            }
        } else {
            conn.setAutoCommit(false);
        }
    }

    private void commit() throws SQLException {
        if (dialect == Dialect.SQLITE) {
            try (Statement s = conn.createStatement()) {
                s.execute("COMMIT");
            }
        } else {
            conn.commit();
            conn.setAutoCommit(true);
        }
    }

    private void rollbackQuietly() {
        try {
            if (dialect == Dialect.SQLITE) {
                if (!conn.getAutoCommit()) {
                    conn.rollback();
                } else {
                    try (Statement s = conn.createStatement()) {
                        s.execute("ROLLBACK");
                    }
                }
            } else {
                conn.rollback();
                conn.setAutoCommit(true);
            }
        } catch (SQLException ignored) {
            // no transaction was open
        }
    }

    private boolean retryable(SQLException e) {
        if (dialect == Dialect.SQLITE) {
            String m = String.valueOf(e.getMessage());
            return m.contains("SQLITE_BUSY") || m.contains("SQLITE_LOCKED") || m.contains("database is locked");
        }
        String state = e.getSQLState();
        return "40001".equals(state) || "40P01".equals(state) || "23505".equals(state);
    }

    /** The database clock in epoch milliseconds, as an SQL expression. */
    private String now() {
        return dialect == Dialect.SQLITE ? "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
                : "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
    }

    private void lockStudy(long studyId) throws SQLException {
        if (dialect == Dialect.POSTGRES) {
            try (PreparedStatement ps = conn.prepareStatement("SELECT id FROM jv_studies WHERE id = ? FOR UPDATE")) {
                ps.setLong(1, studyId);
                ps.executeQuery().close();
            }
        }
    }

    // ---- schema -------------------------------------------------------------------------------

    private void initSchema() {
        tx(() -> {
            if (dialect == Dialect.POSTGRES) {
                try (Statement s = conn.createStatement()) {
                    s.execute("SELECT pg_advisory_xact_lock(727410012)");
                }
            }
            boolean exists;
            try (ResultSet rs = conn.getMetaData().getTables(null, null, "jvision_schema", null)) {
                exists = rs.next();
            }
            if (!exists) {
                createV1();
                return null;
            }
            int version;
            try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(version) FROM jvision_schema")) {
                version = rs.next() ? rs.getInt(1) : 0;
            }
            if (version > SCHEMA_VERSION) {
                throw new SQLException("schema version " + version + " (expected: at most " + SCHEMA_VERSION
                        + "; the study was written by a newer jvision)");
            }
            // future migrations: version -> version + 1, each in this transaction
            return null;
        });
    }

    private void createV1() throws SQLException {
        String pk = dialect == Dialect.SQLITE ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
        String[] ddl = {
            "CREATE TABLE jvision_schema (version INTEGER NOT NULL)",
            "CREATE TABLE jv_studies (id " + pk + ", name VARCHAR(512) NOT NULL UNIQUE, direction VARCHAR(16) NOT NULL,"
                    + " created BIGINT NOT NULL)",
            "CREATE TABLE jv_study_attrs (study_id BIGINT NOT NULL REFERENCES jv_studies(id), attr_key VARCHAR(256) NOT NULL,"
                    + " attr_value TEXT, PRIMARY KEY (study_id, attr_key))",
            "CREATE TABLE jv_trials (id " + pk + ", study_id BIGINT NOT NULL REFERENCES jv_studies(id),"
                    + " number INTEGER NOT NULL, state VARCHAR(16) NOT NULL, value DOUBLE PRECISION, worker VARCHAR(256),"
                    + " started BIGINT, finished BIGINT, heartbeat BIGINT, requeued INTEGER NOT NULL DEFAULT 0, fixed TEXT,"
                    + " UNIQUE (study_id, number))",
            "CREATE INDEX jv_trials_state ON jv_trials (study_id, state)",
            "CREATE TABLE jv_params (trial_id BIGINT NOT NULL REFERENCES jv_trials(id), name VARCHAR(512) NOT NULL,"
                    + " position INTEGER NOT NULL, distribution TEXT NOT NULL, value DOUBLE PRECISION NOT NULL,"
                    + " PRIMARY KEY (trial_id, name))",
            "CREATE TABLE jv_values (trial_id BIGINT NOT NULL REFERENCES jv_trials(id), step INTEGER NOT NULL,"
                    + " value DOUBLE PRECISION, PRIMARY KEY (trial_id, step))",
            "INSERT INTO jvision_schema (version) VALUES (" + SCHEMA_VERSION + ")",
        };
        try (Statement s = conn.createStatement()) {
            for (String d : ddl) {
                s.execute(d);
            }
        }
    }

    /** The schema version stored in the database. */
    public int schemaVersion() {
        return tx(() -> {
            try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(version) FROM jvision_schema")) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        });
    }

    // ---- studies ------------------------------------------------------------------------------

    @Override
    public long openStudy(String name, Direction direction) {
        return tx(() -> {
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO jv_studies (name, direction, created) VALUES (?, ?, "
                    + now() + ") ON CONFLICT (name) DO NOTHING")) {
                ps.setString(1, name);
                ps.setString(2, direction.name());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT id, direction FROM jv_studies WHERE name = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    Direction d = Direction.valueOf(rs.getString(2));
                    if (d != direction) {
                        throw new IllegalArgumentException("study '" + name + "' in " + description + ": direction "
                                + direction + " (expected: " + d + ", the study's)");
                    }
                    return rs.getLong(1);
                }
            }
        });
    }

    @Override
    public long studyId(String name) {
        Long id = tx(() -> {
            try (PreparedStatement ps = conn.prepareStatement("SELECT id FROM jv_studies WHERE name = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : null;
                }
            }
        });
        if (id == null) {
            throw new IllegalArgumentException("study '" + name + "': not found in " + description + " (expected: one of "
                    + studyNames() + ")");
        }
        return id;
    }

    @Override
    public Direction direction(long studyId) {
        return tx(() -> {
            try (PreparedStatement ps = conn.prepareStatement("SELECT direction FROM jv_studies WHERE id = ?")) {
                ps.setLong(1, studyId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalArgumentException("study id " + studyId + ": not found in " + description);
                    }
                    return Direction.valueOf(rs.getString(1));
                }
            }
        });
    }

    @Override
    public List<String> studyNames() {
        return tx(() -> {
            List<String> out = new ArrayList<>();
            try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT name FROM jv_studies ORDER BY id")) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
    }

    @Override
    public void setStudyAttr(long studyId, String key, String value) {
        tx(() -> {
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO jv_study_attrs (study_id, attr_key, attr_value)"
                    + " VALUES (?, ?, ?) ON CONFLICT (study_id, attr_key) DO UPDATE SET attr_value = excluded.attr_value")) {
                ps.setLong(1, studyId);
                ps.setString(2, key);
                ps.setString(3, value);
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Map<String, String> studyAttrs(long studyId) {
        return tx(() -> {
            Map<String, String> out = new LinkedHashMap<>();
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT attr_key, attr_value FROM jv_study_attrs WHERE study_id = ? ORDER BY attr_key")) {
                ps.setLong(1, studyId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), rs.getString(2));
                    }
                }
            }
            return out;
        });
    }

    // ---- trials -------------------------------------------------------------------------------

    @Override
    public Optional<Claim> claim(long studyId, int maxTrials, String worker) {
        return tx(() -> {
            lockStudy(studyId);
            int counted;
            try (PreparedStatement ps = conn.prepareStatement("SELECT COUNT(*) FROM jv_trials WHERE study_id = ? AND"
                    + " (state IN ('RUNNING', 'COMPLETE', 'PRUNED') OR (state = 'FAIL' AND requeued = 0))")) {
                ps.setLong(1, studyId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    counted = rs.getInt(1);
                }
            }
            if (counted >= maxTrials) {
                return Optional.<Claim>empty();
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT id, number, fixed FROM jv_trials WHERE study_id = ?"
                    + " AND state = 'WAITING' ORDER BY number LIMIT 1")) {
                ps.setLong(1, studyId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        long id = rs.getLong(1);
                        int number = rs.getInt(2);
                        Map<String, Object> fixed = parseFixed(rs.getString(3));
                        try (PreparedStatement up = conn.prepareStatement("UPDATE jv_trials SET state = 'RUNNING', worker = ?,"
                                + " started = " + now() + ", heartbeat = " + now() + " WHERE id = ?")) {
                            up.setString(1, worker);
                            up.setLong(2, id);
                            up.executeUpdate();
                        }
                        return Optional.of(new Claim(id, number, fixed));
                    }
                }
            }
            int number = nextNumber(studyId);
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO jv_trials (study_id, number, state, worker, started,"
                    + " heartbeat) VALUES (?, ?, 'RUNNING', ?, " + now() + ", " + now() + ") RETURNING id")) {
                ps.setLong(1, studyId);
                ps.setInt(2, number);
                ps.setString(3, worker);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return Optional.of(new Claim(rs.getLong(1), number, Map.of()));
                }
            }
        });
    }

    private int nextNumber(long studyId) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT COALESCE(MAX(number), -1) + 1 FROM jv_trials WHERE study_id = ?")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static Map<String, Object> parseFixed(String json) throws SQLException {
        Map<String, Object> out = new LinkedHashMap<>();
        if (json == null || json.isEmpty()) {
            return out;
        }
        try {
            JsonNode n = Distribution.Json.MAPPER.readTree(json);
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), Distribution.Json.scalar(e.getValue()));
            }
        } catch (Exception e) {
            throw new SQLException("fixed parameters " + json + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static String fixedJson(Map<String, Object> fixed) {
        try {
            return Distribution.Json.MAPPER.writeValueAsString(fixed);
        } catch (Exception e) {
            throw new IllegalArgumentException("fixed parameters " + fixed + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void setParam(long trialId, String name, Distribution distribution, double internal) {
        tx(() -> {
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO jv_params (trial_id, name, position, distribution,"
                    + " value) VALUES (?, ?, (SELECT COUNT(*) FROM jv_params WHERE trial_id = ?), ?, ?)"
                    + " ON CONFLICT (trial_id, name) DO UPDATE SET distribution = excluded.distribution,"
                    + " value = excluded.value")) {
                ps.setLong(1, trialId);
                ps.setString(2, name);
                ps.setLong(3, trialId);
                ps.setString(4, distribution.toJson());
                ps.setDouble(5, internal);
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void report(long trialId, int step, double value) {
        tx(() -> {
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO jv_values (trial_id, step, value) VALUES (?, ?, ?)"
                    + " ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value")) {
                ps.setLong(1, trialId);
                ps.setInt(2, step);
                if (Double.isNaN(value)) {
                    ps.setNull(3, Types.DOUBLE);
                } else {
                    ps.setDouble(3, value);
                }
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void heartbeat(long trialId) {
        tx(() -> {
            try (PreparedStatement ps = conn.prepareStatement("UPDATE jv_trials SET heartbeat = " + now()
                    + " WHERE id = ? AND state = 'RUNNING'")) {
                ps.setLong(1, trialId);
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public boolean finish(long trialId, TrialState state, Double value) {
        return tx(() -> {
            try (PreparedStatement ps = conn.prepareStatement("UPDATE jv_trials SET state = ?, value = ?, finished = " + now()
                    + " WHERE id = ? AND state = 'RUNNING'")) {
                ps.setString(1, state.name());
                if (value == null || value.isNaN()) {
                    ps.setNull(2, Types.DOUBLE);
                } else {
                    ps.setDouble(2, value);
                }
                ps.setLong(3, trialId);
                return ps.executeUpdate() == 1;
            }
        });
    }

    @Override
    public List<Integer> failStale(long studyId, Duration timeout, boolean requeue) {
        return tx(() -> {
            lockStudy(studyId);
            List<long[]> stale = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement("SELECT id, number FROM jv_trials WHERE study_id = ? AND"
                    + " state = 'RUNNING' AND heartbeat < " + now() + " - ? ORDER BY number")) {
                ps.setLong(1, studyId);
                ps.setLong(2, timeout.toMillis());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        stale.add(new long[] {rs.getLong(1), rs.getInt(2)});
                    }
                }
            }
            List<Integer> out = new ArrayList<>();
            for (long[] s : stale) {
                try (PreparedStatement ps = conn.prepareStatement("UPDATE jv_trials SET state = 'FAIL', finished = " + now()
                        + ", requeued = ? WHERE id = ?")) {
                    ps.setInt(1, requeue ? 1 : 0);
                    ps.setLong(2, s[0]);
                    ps.executeUpdate();
                }
                out.add((int) s[1]);
                if (requeue) {
                    FrozenTrial t = load(studyId, s[0]).get(0);
                    Map<String, Object> fixed = new LinkedHashMap<>(t.fixed());
                    fixed.putAll(t.externalParams());
                    insertWaiting(studyId, fixed);
                }
            }
            return out;
        });
    }

    private void insertWaiting(long studyId, Map<String, Object> fixed) throws SQLException {
        int number = nextNumber(studyId);
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO jv_trials (study_id, number, state, fixed)"
                + " VALUES (?, ?, 'WAITING', ?)")) {
            ps.setLong(1, studyId);
            ps.setInt(2, number);
            ps.setString(3, fixedJson(fixed));
            ps.executeUpdate();
        }
    }

    @Override
    public void enqueue(long studyId, Map<String, Object> params) {
        tx(() -> {
            lockStudy(studyId);
            insertWaiting(studyId, params);
            return null;
        });
    }

    @Override
    public List<FrozenTrial> trials(long studyId) {
        return tx(() -> load(studyId, -1));
    }

    @Override
    public FrozenTrial trial(long trialId) {
        return tx(() -> {
            long studyId;
            try (PreparedStatement ps = conn.prepareStatement("SELECT study_id FROM jv_trials WHERE id = ?")) {
                ps.setLong(1, trialId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalArgumentException("trial id " + trialId + ": not found in " + description);
                    }
                    studyId = rs.getLong(1);
                }
            }
            return load(studyId, trialId).get(0);
        });
    }

    /** Trials of a study (or the one trial {@code onlyTrial} >= 0), by number. */
    private List<FrozenTrial> load(long studyId, long onlyTrial) throws SQLException {
        String only = onlyTrial >= 0 ? " AND t.id = " + onlyTrial : "";
        Map<Long, Map<String, Double>> params = new HashMap<>();
        Map<Long, Map<String, Distribution>> dists = new HashMap<>();
        Map<String, Distribution> distCache = new HashMap<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT p.trial_id, p.name, p.distribution, p.value FROM jv_params p"
                + " JOIN jv_trials t ON t.id = p.trial_id WHERE t.study_id = ?" + only + " ORDER BY p.trial_id, p.position")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long tid = rs.getLong(1);
                    String name = rs.getString(2);
                    Distribution d = distCache.computeIfAbsent(rs.getString(3), Distribution::fromJson);
                    params.computeIfAbsent(tid, k -> new LinkedHashMap<>()).put(name, rs.getDouble(4));
                    dists.computeIfAbsent(tid, k -> new LinkedHashMap<>()).put(name, d);
                }
            }
        }
        Map<Long, TreeMap<Integer, Double>> values = new HashMap<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT v.trial_id, v.step, v.value FROM jv_values v"
                + " JOIN jv_trials t ON t.id = v.trial_id WHERE t.study_id = ?" + only)) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    double v = rs.getDouble(3);
                    values.computeIfAbsent(rs.getLong(1), k -> new TreeMap<>()).put(rs.getInt(2), rs.wasNull() ? Double.NaN : v);
                }
            }
        }
        List<FrozenTrial> out = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT t.id, t.number, t.state, t.value, t.fixed, t.worker,"
                + " t.started, t.finished FROM jv_trials t WHERE t.study_id = ?" + only + " ORDER BY t.number")) {
            ps.setLong(1, studyId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    double v = rs.getDouble(4);
                    Double value = rs.wasNull() ? null : v;
                    out.add(new FrozenTrial(id, rs.getInt(2), TrialState.valueOf(rs.getString(3)), value,
                            params.getOrDefault(id, Map.of()), dists.getOrDefault(id, Map.of()),
                            values.getOrDefault(id, new TreeMap<>()), parseFixed(rs.getString(5)), rs.getString(6),
                            rs.getLong(7), rs.getLong(8)));
                }
            }
        }
        return out;
    }

    @Override
    public synchronized void close() {
        try {
            conn.close();
        } catch (SQLException e) {
            Study.LOG.warn("study storage {}: close failed: {}", description, e.getMessage());
        }
    }
}
