package dev.mercato.contracts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Puts a pinned anvil binary under Mercato's tools directory, from the npm registry, the first
 * time one is asked for. The npm package {@code @foundry-rs/anvil} carries no binary itself: npm
 * picks the platform's one through an optional dependency such as
 * {@code @foundry-rs/anvil-linux-amd64}, whose {@code bin/anvil} is what runs here.
 */
public final class AnvilInstaller {

    public static final String ANVIL_VERSION = "1.7.1";
    public static final String TOOLS_DIR_PROPERTY = "mercato.tools.dir";
    static final long INSTALL_TIMEOUT_MILLIS = TimeUnit.MINUTES.toMillis(5);

    private static final String PACKAGE = "@foundry-rs/anvil@" + ANVIL_VERSION;
    // Two threads of one JVM cannot both hold a FileLock on the same file: they queue here first.
    private static final Object JVM_LOCK = new Object();

    private AnvilInstaller() {
    }

    /** The anvil binary under {@link #defaultToolsDirectory()}, installed if it is not there yet. */
    public static Path anvilBinary() {
        return anvilBinary(defaultToolsDirectory());
    }

    /**
     * The anvil binary under {@code toolsDirectory}, installed if it is not there yet. Safe to
     * call from several JVMs at once: one installs while the others wait on a file lock, and the
     * install only becomes visible through an atomic rename of a finished directory.
     */
    public static Path anvilBinary(Path toolsDirectory) {
        Path home = toolsDirectory.resolve("anvil-" + ANVIL_VERSION);
        Path binary = home.resolve(platformBinary());
        if (Files.isExecutable(binary)) {
            return binary;
        }
        synchronized (JVM_LOCK) {
            try {
                Files.createDirectories(toolsDirectory);
                try (FileChannel channel = FileChannel.open(toolsDirectory.resolve("anvil-" + ANVIL_VERSION + ".lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock ignored = channel.lock()) {
                    if (Files.isExecutable(binary)) {
                        return binary;
                    }
                    // Left by an install that renamed into place and then lost its binary: start over.
                    deleteRecursively(home);
                    install(toolsDirectory, home);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not install anvil under " + toolsDirectory, e);
            }
        }
        return binary;
    }

    /**
     * The {@value #TOOLS_DIR_PROPERTY} system property if set, else {@code .mercato/tools} in the
     * repository root: the nearest directory at or above the working directory holding {@code mvnw}.
     */
    public static Path defaultToolsDirectory() {
        String configured = System.getProperty(TOOLS_DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("mvnw"))) {
                return dir.resolve(".mercato").resolve("tools");
            }
        }
        throw new IllegalStateException("no repository root (a directory holding mvnw) at or above " + start
                + "; set -D" + TOOLS_DIR_PROPERTY + " to the directory where anvil may be installed");
    }

    private static void install(Path toolsDirectory, Path home) throws IOException {
        Path staging = Files.createTempDirectory(toolsDirectory, home.getFileName() + "-installing-");
        Path npmLog = toolsDirectory.resolve(home.getFileName() + "-npm.log");
        List<String> command = npmCommandLine(staging);
        try {
            Process npm;
            try {
                npm = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(npmLog.toFile())
                        .start();
            } catch (IOException e) {
                throw new IllegalStateException("could not run `" + String.join(" ", command)
                        + "` to install anvil: is npm installed and on the PATH?", e);
            }
            boolean exited = npm.waitFor(INSTALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            if (!exited) {
                npm.descendants().forEach(ProcessHandle::destroyForcibly);
                npm.destroyForcibly().waitFor();
                throw new IllegalStateException("`" + String.join(" ", command) + "` did not finish within "
                        + INSTALL_TIMEOUT_MILLIS + " ms; its output is in " + npmLog);
            }
            if (npm.exitValue() != 0) {
                throw new IllegalStateException("`" + String.join(" ", command) + "` failed with exit code "
                        + npm.exitValue() + ":\n" + tail(npmLog));
            }
            if (!Files.isExecutable(staging.resolve(platformBinary()))) {
                throw new IllegalStateException("`" + String.join(" ", command) + "` installed no "
                        + platformBinary() + ":\n" + tail(npmLog));
            }
            Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running `" + String.join(" ", command) + "`", e);
        } finally {
            deleteRecursively(staging);
        }
    }

    private static List<String> npmCommandLine(Path prefix) {
        return List.of("npm", "install", "--prefix", prefix.toString(), "--no-save", "--no-audit", "--no-fund", PACKAGE);
    }

    /** Where npm puts the platform's binary, relative to the install prefix. */
    static Path platformBinary() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String npmOs = os.contains("linux") ? "linux" : os.contains("mac") ? "darwin" : null;
        String npmArch = switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> null;
        };
        if (npmOs == null || npmArch == null) {
            throw new IllegalStateException("no anvil package for " + os + "/" + arch + "; " + PACKAGE
                    + " ships linux and darwin binaries for amd64 and arm64");
        }
        return Path.of("node_modules", "@foundry-rs", "anvil-" + npmOs + "-" + npmArch, "bin", "anvil");
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(path)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
