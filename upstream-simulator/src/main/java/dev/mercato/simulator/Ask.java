package dev.mercato.simulator;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one request asks for, read from its JSON body with the real API's required fields.
 *
 * @param outputCapTokens      the request's own output limit, or {@link Long#MAX_VALUE} when it sets none
 * @param tool                 the function tool the answer calls, or null for a text answer
 * @param thinkingBudgetTokens Anthropic extended thinking budget, 0 when thinking is off
 * @param reasoning            whether an OpenAI request asks a reasoning model to reason
 * @param includeUsage         whether a Chat Completions stream ends with a usage chunk
 */
record Ask(Endpoint endpoint, Map<String, Object> body, String model, boolean stream, long outputCapTokens,
           String promptText, Tool tool, long thinkingBudgetTokens, boolean reasoning, boolean includeUsage) {

    /** A function the request offers; {@code schema} is its JSON schema for the arguments, or null. */
    record Tool(String name, Map<String, Object> schema) {
    }

    /** Members whose string values are prompt text, wherever they sit below the prompt's roots. */
    private static final Set<String> TEXT_KEYS =
        Set.of("system", "instructions", "input", "content", "text", "output", "arguments");

    /** Prompt text beyond this is a request no real model would take either. */
    static final int MAX_PROMPT_CHARS = 8 * 1024 * 1024;

    /** @throws InvalidRequestException when a required field is missing or has the wrong type */
    static Ask read(Endpoint endpoint, Map<String, Object> body) {
        return switch (endpoint) {
            case MESSAGES, COUNT_TOKENS -> anthropic(endpoint, body);
            case CHAT_COMPLETIONS -> chatCompletions(body);
            case RESPONSES -> responses(body);
        };
    }

    private static Ask anthropic(Endpoint endpoint, Map<String, Object> body) {
        String model = requiredModel(body, "model: Field required");
        boolean countOnly = endpoint == Endpoint.COUNT_TOKENS;
        long maxTokens = Long.MAX_VALUE;
        if (!countOnly) {
            Long requested = Json.integer(body, "max_tokens", "max_tokens");
            if (requested == null) {
                throw new InvalidRequestException("max_tokens: Field required", "max_tokens");
            }
            if (requested < 1) {
                throw new InvalidRequestException("max_tokens: Input should be greater than or equal to 1",
                    "max_tokens");
            }
            maxTokens = requested;
        }
        if (Json.array(body, "messages", "messages") == null) {
            throw new InvalidRequestException("messages: Field required", "messages");
        }
        long thinkingBudget = 0;
        Map<String, Object> thinking = Json.object(body, "thinking", "thinking");
        if (thinking != null) {
            String type = Json.string(thinking, "type", "thinking.type");
            if ("enabled".equals(type)) {
                Long budget = Json.integer(thinking, "budget_tokens", "thinking.enabled.budget_tokens");
                if (budget == null || budget < 1) {
                    throw new InvalidRequestException("thinking.enabled.budget_tokens: Field required",
                        "thinking.enabled.budget_tokens");
                }
                thinkingBudget = budget;
            } else if ("adaptive".equals(type)) {
                thinkingBudget = maxTokens;
            }
        }
        Tool tool = null;
        Map<String, Object> toolChoice = Json.object(body, "tool_choice", "tool_choice");
        boolean toolsOff = toolChoice != null && "none".equals(toolChoice.get("type"));
        List<Object> tools = Json.array(body, "tools", "tools");
        if (tools != null && !toolsOff) {
            for (int i = 0; i < tools.size() && tool == null; i++) {
                Map<String, Object> candidate = element(tools, i, "tools." + i);
                String type = Json.string(candidate, "type", "tools." + i + ".type");
                if (type == null || "custom".equals(type)) {
                    tool = new Tool(requiredName(candidate, "tools." + i + ".name"),
                        Json.object(candidate, "input_schema", "tools." + i + ".input_schema"));
                }
            }
        }
        String prompt = promptText(body, "system", "messages");
        boolean stream = !countOnly && Json.flag(body, "stream", "stream");
        return new Ask(endpoint, body, model, stream, maxTokens, prompt, tool, thinkingBudget, false, false);
    }

    private static Ask chatCompletions(Map<String, Object> body) {
        String model = requiredModel(body, "Missing required parameter: 'model'.");
        if (Json.array(body, "messages", "messages") == null) {
            throw new InvalidRequestException("Missing required parameter: 'messages'.", "messages");
        }
        Long cap = Json.integer(body, "max_completion_tokens", "max_completion_tokens");
        String capName = "max_completion_tokens";
        if (cap == null) {
            cap = Json.integer(body, "max_tokens", "max_tokens");
            capName = "max_tokens";
        }
        if (cap != null && cap < 1) {
            throw new InvalidRequestException("Invalid '" + capName + "': integer below minimum value. Expected a value"
                + " >= 1, but got " + cap + " instead.", capName);
        }
        boolean stream = Json.flag(body, "stream", "stream");
        Map<String, Object> streamOptions = Json.object(body, "stream_options", "stream_options");
        boolean includeUsage = stream && streamOptions != null
            && Json.flag(streamOptions, "include_usage", "stream_options.include_usage");
        String effort = Json.string(body, "reasoning_effort", "reasoning_effort");
        boolean reasoning = effort != null && !"none".equals(effort);
        Tool tool = null;
        if (!"none".equals(body.get("tool_choice"))) {
            List<Object> tools = Json.array(body, "tools", "tools");
            for (int i = 0; tools != null && i < tools.size() && tool == null; i++) {
                Map<String, Object> candidate = element(tools, i, "tools[" + i + "]");
                if ("function".equals(candidate.get("type"))) {
                    Map<String, Object> function = Json.object(candidate, "function", "tools[" + i + "].function");
                    if (function == null) {
                        throw new InvalidRequestException("Missing required parameter: 'tools[" + i + "].function'.",
                            "tools[" + i + "].function");
                    }
                    tool = new Tool(requiredName(function, "tools[" + i + "].function.name"),
                        Json.object(function, "parameters", "tools[" + i + "].function.parameters"));
                }
            }
        }
        return new Ask(Endpoint.CHAT_COMPLETIONS, body, model, stream, cap == null ? Long.MAX_VALUE : cap,
            promptText(body, "messages"), tool, 0, reasoning, includeUsage);
    }

    private static Ask responses(Map<String, Object> body) {
        String model = requiredModel(body, "Missing required parameter: 'model'.");
        Long cap = Json.integer(body, "max_output_tokens", "max_output_tokens");
        if (cap != null && cap < 16) {
            throw new InvalidRequestException("Invalid 'max_output_tokens': integer below minimum value. Expected a"
                + " value >= 16, but got " + cap + " instead.", "max_output_tokens");
        }
        Object input = body.get("input");
        if (input != null && input != Json.NULL && !(input instanceof String) && !(input instanceof List<?>)) {
            throw new InvalidRequestException("Invalid type for 'input': expected one of a string or an array.",
                "input");
        }
        Json.string(body, "instructions", "instructions");
        boolean reasoning = false;
        Map<String, Object> reasoningOptions = Json.object(body, "reasoning", "reasoning");
        if (reasoningOptions != null) {
            reasoning = !"none".equals(Json.string(reasoningOptions, "effort", "reasoning.effort"));
        }
        Tool tool = null;
        if (!"none".equals(body.get("tool_choice"))) {
            List<Object> tools = Json.array(body, "tools", "tools");
            for (int i = 0; tools != null && i < tools.size() && tool == null; i++) {
                Map<String, Object> candidate = element(tools, i, "tools[" + i + "]");
                if ("function".equals(candidate.get("type"))) {
                    tool = new Tool(requiredName(candidate, "tools[" + i + "].name"),
                        Json.object(candidate, "parameters", "tools[" + i + "].parameters"));
                }
            }
        }
        boolean stream = Json.flag(body, "stream", "stream");
        return new Ask(Endpoint.RESPONSES, body, model, stream, cap == null ? Long.MAX_VALUE : cap,
            promptText(body, "instructions", "input"), tool, 0, reasoning, false);
    }

    private static String requiredModel(Map<String, Object> body, String missingMessage) {
        String model = Json.string(body, "model", "model");
        if (model == null || model.isEmpty()) {
            throw new InvalidRequestException(missingMessage, "model");
        }
        return model;
    }

    private static String requiredName(Map<String, Object> tool, String path) {
        String name = Json.string(tool, "name", path);
        if (name == null || name.isEmpty()) {
            throw new InvalidRequestException(path + ": Field required", path);
        }
        return name;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> element(List<Object> array, int index, String path) {
        if (array.get(index) instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new InvalidRequestException(path + ": Input should be an object", path);
    }

    /** The text of the prompt: every string under a text member below {@code roots}, joined by newlines. */
    private static String promptText(Map<String, Object> body, String... roots) {
        StringBuilder text = new StringBuilder();
        for (String root : roots) {
            collect(body.get(root), root, text);
        }
        return text.toString();
    }

    private static void collect(Object node, String key, StringBuilder text) {
        switch (node) {
            case String string when TEXT_KEYS.contains(key) -> {
                if (text.length() + string.length() + 1 > MAX_PROMPT_CHARS) {
                    throw new InvalidRequestException("prompt text exceeds " + MAX_PROMPT_CHARS + " characters", null);
                }
                if (!text.isEmpty()) {
                    text.append('\n');
                }
                text.append(string);
            }
            case Map<?, ?> object -> {
                for (Map.Entry<?, ?> member : object.entrySet()) {
                    collect(member.getValue(), (String) member.getKey(), text);
                }
            }
            case List<?> array -> {
                for (Object element : array) {
                    collect(element, key, text);
                }
            }
            case null, default -> {
            }
        }
    }
}
