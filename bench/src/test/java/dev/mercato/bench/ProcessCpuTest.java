package dev.mercato.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessCpuTest {

    @Test
    void addsUserAndSystemTicksCountingFieldsFromTheLastParenthesis() {
        String line = "4242 (java (gw) x) S 1 4242 4242 0 -1 4194560 81234 0 12 0 1500 320 7 9 20 0 41 0 12345 "
            + "3000000000 50000 18446744073709551615 1 1 0 0 0 0 0 4096 17663 0 0 0 17 1 0 0 0 0 0";

        assertEquals(1820, ProcessCpu.parseTicks(line));
    }

    @Test
    void sumsTheTicksOfEveryWatchedProcess(@TempDir Path proc) throws Exception {
        writeStat(proc, 10, "10 (nginx) S 1 10 10 0 -1 0 0 0 0 0 250 50 0 0 20 0 1 0 1 0 0");
        writeStat(proc, 11, "11 (nginx: worker) S 10 10 10 0 -1 0 0 0 0 0 1000 900 0 0 20 0 1 0 1 0 0");
        ProcessCpu cpu = new ProcessCpu(List.of(10L, 11L), 100, proc);

        assertEquals(2200, cpu.totalTicks());
        assertEquals(22.0, cpu.seconds(cpu.totalTicks()));
    }

    @Test
    void countsMachineBusyTicksWithoutIdleAndIoWait(@TempDir Path proc) throws Exception {
        Files.writeString(proc.resolve("stat"), """
            cpu  1000 20 300 90000 400 5 60 7 0 0
            cpu0 500 10 150 45000 200 3 30 4 0 0
            cpu1 500 10 150 45000 200 2 30 3 0 0
            intr 123456 0 0
            ctxt 987654
            """);
        ProcessCpu cpu = new ProcessCpu(List.of(), 100, proc);

        assertEquals(1000 + 20 + 300 + 5 + 60 + 7, cpu.machineBusyTicks());
        assertEquals(2, cpu.machineCpuCount());
    }

    @Test
    void readsThisRunningJvmFromTheRealProcFileSystem() throws Exception {
        ProcessCpu cpu = new ProcessCpu(List.of(ProcessHandle.current().pid()), 100, Path.of("/proc"));

        assertTrue(cpu.totalTicks() > 0, "a JVM that has loaded the test classes has used CPU");
    }

    private static void writeStat(Path proc, long pid, String line) throws Exception {
        Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(proc.resolve(Long.toString(pid)).resolve("stat"), line + "\n");
    }
}
