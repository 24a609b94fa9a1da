package dev.mercato.agent.serving;

import java.util.HashMap;
import java.util.Map;

/**
 * The agent's concurrency slots: one cap for the whole node and optional caps per model,
 * shared by every gateway connection, because the agent is the final word on its capacity.
 */
public final class Slots {

    private final int maxConcurrency;
    private final Map<String, Integer> inFlightByModel = new HashMap<>();
    private int inFlight;

    public Slots(int maxConcurrency) {
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("maxConcurrency must be positive, was " + maxConcurrency);
        }
        this.maxConcurrency = maxConcurrency;
    }

    /** Takes a slot unless the node or the model ({@code modelCap} null: no own cap) is full. */
    public synchronized boolean tryAcquire(String modelId, Integer modelCap) {
        int modelInFlight = inFlightByModel.getOrDefault(modelId, 0);
        if (inFlight >= maxConcurrency || (modelCap != null && modelInFlight >= modelCap)) {
            return false;
        }
        inFlight++;
        inFlightByModel.put(modelId, modelInFlight + 1);
        return true;
    }

    public synchronized void release(String modelId) {
        int modelInFlight = inFlightByModel.getOrDefault(modelId, 0);
        if (modelInFlight <= 0 || inFlight <= 0) {
            throw new IllegalStateException("released a slot of model " + modelId + " that was not taken");
        }
        inFlight--;
        if (modelInFlight == 1) {
            inFlightByModel.remove(modelId);
        } else {
            inFlightByModel.put(modelId, modelInFlight - 1);
        }
    }

    public synchronized int inFlight() {
        return inFlight;
    }

    public int maxConcurrency() {
        return maxConcurrency;
    }
}
