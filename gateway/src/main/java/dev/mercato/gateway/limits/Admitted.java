package dev.mercato.gateway.limits;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An admitted request's hold on its key's limits: a concurrent slot and its maximum cost
 * against the budget. {@link #ended} frees the slot and counts the tokens the request used;
 * {@link #charged} turns the budget hold into what was charged. Each counts once, so every
 * path (answer, error, disconnect, timeout, refusal after admission) may call both safely.
 */
public final class Admitted {

    private final AtomicBoolean over = new AtomicBoolean();
    private final String subject;
    private final Limiter limiter;
    private final KeyBudgets.BudgetHold budget;
    private final Limiter.Slot slot;

    Admitted(String subject, Limiter limiter, KeyBudgets.BudgetHold budget, Limiter.Slot slot) {
        this.subject = subject;
        this.limiter = limiter;
        this.budget = budget;
        this.slot = slot;
    }

    /** The request is over: its slot is free and the tokens it used count against tokens per minute. */
    public void ended(long tokensUsed) {
        if (over.compareAndSet(false, true)) {
            slot.close();
            limiter.addTokens(subject, tokensUsed);
        }
    }

    /** What the request was charged in the end (0 when it was not). */
    public void charged(long costNano) {
        budget.charged(costNano);
    }

    /** Refused or failed after admission: nothing used, nothing charged. */
    public void abandon() {
        ended(0);
        charged(0);
    }
}
