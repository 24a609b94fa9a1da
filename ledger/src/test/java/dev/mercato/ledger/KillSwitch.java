package dev.mercato.ledger;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;

/**
 * A data source that, when armed on a thread, kills one of that thread's next transactions: its
 * PostgreSQL backend is terminated before a chosen statement, or the commit is turned into a
 * rollback, or the commit succeeds and the connection "dies" before the answer arrives.
 */
final class KillSwitch implements DataSource {

    enum Mode { AT_STATEMENT, BEFORE_COMMIT, AFTER_COMMIT }

    /**
     * Kill the {@code connectionOrdinal}-th connection taken (1-based); for AT_STATEMENT, just
     * before its {@code statementOrdinal}-th statement is prepared.
     */
    record Kill(Mode mode, int connectionOrdinal, int statementOrdinal) {
    }

    private static final class Armed {
        final Kill kill;
        int connectionsTaken;
        int statementsPrepared;
        boolean fired;

        Armed(Kill kill) {
            this.kill = kill;
        }
    }

    private final DataSource target;
    private final ThreadLocal<Armed> armed = new ThreadLocal<>();

    KillSwitch(DataSource target) {
        this.target = target;
    }

    void arm(Kill kill) {
        armed.set(new Armed(kill));
    }

    /** Disarms this thread's switch; returns whether it fired. */
    boolean disarm() {
        Armed current = armed.get();
        armed.remove();
        return current != null && current.fired;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection connection = target.getConnection();
        Armed current = armed.get();
        if (current == null || current.fired || ++current.connectionsTaken != current.kill.connectionOrdinal()) {
            return connection;
        }
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
                switch (method.getName()) {
                    case "prepareStatement" -> {
                        if (current.kill.mode() == Mode.AT_STATEMENT && !current.fired
                            && ++current.statementsPrepared == current.kill.statementOrdinal()) {
                            current.fired = true;
                            terminateBackend(connection);
                        }
                    }
                    case "commit" -> {
                        if (current.kill.mode() == Mode.BEFORE_COMMIT && !current.fired) {
                            current.fired = true;
                            connection.rollback();
                            throw new SQLException("killed before commit", "08006");
                        }
                        if (current.kill.mode() == Mode.AFTER_COMMIT && !current.fired) {
                            current.fired = true;
                            connection.commit();
                            throw new SQLException("connection lost after commit", "08006");
                        }
                    }
                    default -> {
                    }
                }
                try {
                    return method.invoke(connection, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
    }

    private static void terminateBackend(Connection connection) throws SQLException {
        try (PreparedStatement kill = connection.prepareStatement("select pg_terminate_backend(pg_backend_pid())")) {
            kill.execute();
        }
        throw new AssertionError("the PostgreSQL backend survived pg_terminate_backend");
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("the kill switch hands out pooled connections only");
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return target.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        target.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        target.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return target.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return target.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        return target.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return target.isWrapperFor(type);
    }
}
