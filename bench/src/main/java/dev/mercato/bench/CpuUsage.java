package dev.mercato.bench;

import java.util.List;

/**
 * CPU spent during a run's measured window: by the watched processes, by the load generator, and by
 * the whole machine, whose busy time also covers processes nobody thought to watch (a database, a child).
 *
 * @param watchedSeconds  CPU of {@code pids}; -1 when no PID was given
 * @param windowSeconds   wall-clock length of the window the CPU was measured over
 * @param cpus            CPUs the machine has, to turn machine seconds into a busy share
 */
record CpuUsage(List<Long> pids, double watchedSeconds, double generatorSeconds, double machineSeconds,
                double windowSeconds, int cpus) {

    static final CpuUsage NONE = new CpuUsage(List.of(), -1, 0, 0, 0, 1);

    /** Share of all the machine's CPUs that was busy during the window, 0 to 100. */
    double machineBusyPercent() {
        return windowSeconds > 0 ? machineSeconds * 100.0 / (windowSeconds * cpus) : 0;
    }
}
