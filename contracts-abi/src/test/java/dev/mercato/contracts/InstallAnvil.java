package dev.mercato.contracts;

import java.nio.file.Path;

/** Installs anvil into the tools directory given as the only argument and prints the binary's path: one JVM of {@link AnvilInstallerTest}. */
public final class InstallAnvil {

    private InstallAnvil() {
    }

    public static void main(String[] args) {
        System.out.println(AnvilInstaller.anvilBinary(Path.of(args[0])));
    }
}
