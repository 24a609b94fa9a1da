package dev.mercato.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnvilInstallerTest {

    private static final long JVM_TIMEOUT_MILLIS = AnvilInstaller.INSTALL_TIMEOUT_MILLIS + 60_000;

    @Test
    void twoJvmsInstallingAtOnceShareOneInstall(@TempDir Path toolsDirectory) throws Exception {
        List<Process> jvms = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            jvms.add(installerJvm(toolsDirectory).start());
        }
        List<String> printed = new ArrayList<>();
        for (Process jvm : jvms) {
            String output = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(jvm.waitFor(JVM_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS), "installer JVM still running");
            assertEquals(0, jvm.exitValue(), output);
            printed.add(output);
        }

        Path binary = toolsDirectory.resolve("anvil-" + AnvilInstaller.ANVIL_VERSION).resolve(AnvilInstaller.platformBinary());
        assertEquals(List.of(binary.toString(), binary.toString()), printed);
        assertTrue(Files.isExecutable(binary));
        assertTrue(version(binary).startsWith("anvil Version: " + AnvilInstaller.ANVIL_VERSION + "\n"), version(binary));
        // No half-finished staging directory is left beside the install.
        try (Stream<Path> entries = Files.list(toolsDirectory)) {
            assertEquals(List.of("anvil-1.7.1", "anvil-1.7.1-npm.log", "anvil-1.7.1.lock"),
                    entries.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void withoutNpmTheFailureNamesTheCommandToRun(@TempDir Path toolsDirectory) throws Exception {
        ProcessBuilder installer = installerJvm(toolsDirectory);
        installer.environment().put("PATH", "");
        Process jvm = installer.start();
        String output = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(jvm.waitFor(JVM_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS), "installer JVM still running");

        assertEquals(1, jvm.exitValue(), output);
        assertTrue(output.contains("could not run `npm install --prefix " + toolsDirectory.resolve("anvil-1.7.1-installing-")),
                output);
        assertTrue(output.contains(" --no-save --no-audit --no-fund @foundry-rs/anvil@1.7.1` to install anvil: "
                + "is npm installed and on the PATH?"), output);
        // The failed attempt leaves nothing that a later one could take for an install.
        try (Stream<Path> entries = Files.list(toolsDirectory)) {
            assertEquals(List.of("anvil-1.7.1-npm.log", "anvil-1.7.1.lock"), entries.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void anInstalledBinaryIsReturnedWithoutRunningNpm() {
        Path toolsDirectory = AnvilInstaller.defaultToolsDirectory();
        Path binary = AnvilInstaller.anvilBinary(toolsDirectory);
        Path npmLog = toolsDirectory.resolve("anvil-" + AnvilInstaller.ANVIL_VERSION + "-npm.log");
        long npmLogModifiedMillis = npmLog.toFile().lastModified();

        assertEquals(binary, AnvilInstaller.anvilBinary(toolsDirectory));
        assertEquals(npmLogModifiedMillis, npmLog.toFile().lastModified());
    }

    private static ProcessBuilder installerJvm(Path toolsDirectory) {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                InstallAnvil.class.getName(), toolsDirectory.toString())
                .redirectErrorStream(true);
    }

    private static String version(Path binary) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(10, TimeUnit.SECONDS);
        return output;
    }
}
