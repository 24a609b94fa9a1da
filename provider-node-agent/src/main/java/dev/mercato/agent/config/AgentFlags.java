package dev.mercato.agent.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's command line: {@code --config path} plus flags that override the file
 * ({@code --gateway} may be repeated to list several gateways).
 */
public record AgentFlags(Path configFile, List<String> gateways, String nodeToken, Integer maxConcurrency,
                         boolean help) {

    /** A command line longer than this is not typed by a person or a service file. */
    public static final int MAX_ARGUMENTS = 64;

    public static final String USAGE = """
        usage: java -jar provider-node-agent-all.jar --config agent.yml [flags]
          --config PATH            the agent's YAML configuration (required)
          --gateway URL            overrides gateways; repeat it for several gateway instances
          --node-token TOKEN       overrides nodeToken / nodeTokenEnv
          --max-concurrency N      overrides maxConcurrency
          --help                   prints this text""";

    public AgentFlags {
        gateways = List.copyOf(gateways);
    }

    /** @throws ConfigException naming the flag that is unknown, repeated or missing its value */
    public static AgentFlags parse(String... args) {
        if (args.length > MAX_ARGUMENTS) {
            throw new ConfigException("command line", "at most " + MAX_ARGUMENTS + " arguments, was " + args.length);
        }
        Path configFile = null;
        List<String> gateways = new ArrayList<>();
        String nodeToken = null;
        Integer maxConcurrency = null;
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int equals = arg.indexOf('=');
            if (arg.startsWith("--") && equals > 0) {
                name = arg.substring(0, equals);
                value = arg.substring(equals + 1);
            }
            if (name.equals("--help") || name.equals("-h")) {
                help = true;
                continue;
            }
            if (!name.equals("--config") && !name.equals("--gateway") && !name.equals("--node-token")
                && !name.equals("--max-concurrency")) {
                throw new ConfigException(arg, "unknown flag\n" + USAGE);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new ConfigException(name, "needs a value");
                }
                value = args[++i];
            }
            switch (name) {
                case "--config" -> {
                    if (configFile != null) {
                        throw new ConfigException(name, "given twice");
                    }
                    configFile = Path.of(value);
                }
                case "--gateway" -> gateways.add(value);
                case "--node-token" -> {
                    if (nodeToken != null) {
                        throw new ConfigException(name, "given twice");
                    }
                    nodeToken = value;
                }
                default -> {
                    if (maxConcurrency != null) {
                        throw new ConfigException(name, "given twice");
                    }
                    try {
                        maxConcurrency = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new ConfigException(name, "expected a whole number, was '" + value + "'");
                    }
                }
            }
        }
        if (configFile == null && !help) {
            throw new ConfigException("--config", "required (path to the agent's YAML file)\n" + USAGE);
        }
        return new AgentFlags(configFile, gateways, nodeToken, maxConcurrency, help);
    }
}
