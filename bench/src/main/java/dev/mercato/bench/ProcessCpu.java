package dev.mercato.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the CPU time a set of processes has used so far, from /proc/PID/stat (user plus system),
 * and the busy time of the whole machine from /proc/stat.
 */
final class ProcessCpu {

    private final List<Long> pids;
    private final int clockTicksPerSecond;
    private final Path procRoot;

    ProcessCpu(List<Long> pids, int clockTicksPerSecond, Path procRoot) {
        if (clockTicksPerSecond <= 0) {
            throw new IllegalArgumentException("clock ticks per second must be positive, was " + clockTicksPerSecond);
        }
        this.pids = List.copyOf(pids);
        this.clockTicksPerSecond = clockTicksPerSecond;
        this.procRoot = procRoot;
    }

    List<Long> pids() {
        return pids;
    }

    /** Total utime + stime of all the processes, in clock ticks. */
    long totalTicks() throws IOException {
        long ticks = 0;
        for (long pid : pids) {
            ticks += parseTicks(Files.readString(procRoot.resolve(Long.toString(pid)).resolve("stat")));
        }
        return ticks;
    }

    /** Busy ticks of all CPUs together since boot: everything but idle and I/O wait. */
    long machineBusyTicks() throws IOException {
        String stat = Files.readString(procRoot.resolve("stat"));
        int lineEnd = stat.indexOf('\n');
        return parseMachineBusyTicks(lineEnd < 0 ? stat : stat.substring(0, lineEnd));
    }

    /** CPUs listed in /proc/stat (cpu0, cpu1, ...): the machine's, whatever this JVM is limited to. */
    int machineCpuCount() throws IOException {
        int count = 0;
        for (String line : Files.readAllLines(procRoot.resolve("stat"))) {
            if (line.startsWith("cpu") && line.length() > 3 && Character.isDigit(line.charAt(3))) {
                count++;
            }
        }
        return Math.max(1, count);
    }

    double seconds(long ticks) {
        return (double) ticks / clockTicksPerSecond;
    }

    /**
     * utime + stime (fields 14 and 15) of one /proc/PID/stat line. The command name in field 2 may
     * hold spaces and parentheses, so fields are counted from the last ')'.
     */
    static long parseTicks(String statLine) {
        int nameEnd = statLine.lastIndexOf(')');
        if (nameEnd < 0) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: " + statLine);
        }
        String[] fields = statLine.substring(nameEnd + 2).trim().split(" ");
        // fields[0] is field 3 (state), so field N is fields[N - 3].
        if (fields.length < 13) {
            throw new IllegalArgumentException("/proc/PID/stat line has too few fields: " + statLine);
        }
        return Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3]);
    }

    /**
     * user + nice + system + irq + softirq + steal of the aggregate "cpu" line of /proc/stat; guest
     * time is already inside user.
     */
    static long parseMachineBusyTicks(String cpuLine) {
        String[] fields = cpuLine.trim().split("\\s+");
        if (fields.length < 9 || !fields[0].equals("cpu")) {
            throw new IllegalArgumentException("not the cpu line of /proc/stat: " + cpuLine);
        }
        long busy = 0;
        for (int field : new int[] {1, 2, 3, 6, 7, 8}) {
            busy += Long.parseLong(fields[field]);
        }
        return busy;
    }
}
