package dev.relay.streaming.upload;

/**
 * What one writer holds of the node's {@link BufferBudget}: at least what its part buffers hold, and what the credit
 * it granted may still make it allocate. Owned by the session's serial executor; the sizes come from
 * {@link PartPipeline}, which knows its buffers.
 */
final class BufferClaim {

    private final BufferBudget budget;
    private long claimed;

    BufferClaim(BufferBudget budget) {
        this.budget = budget;
    }

    /** Holds {@code need} bytes of the budget in all, taking what is missing; false if the budget lacks it. */
    boolean claim(long need) {
        if (need <= claimed) {
            return true;
        }
        if (!budget.tryTake(need - claimed)) {
            return false;
        }
        claimed = need;
        return true;
    }

    /** Gives back what is held beyond {@code need}. */
    void shrinkTo(long need) {
        if (claimed > need) {
            budget.give(claimed - need);
            claimed = need;
        }
    }

    /**
     * Buffers of {@code held} bytes exist: claimed whatever the budget has left. Credit claimed what it needed first;
     * only a part resumed from its staged tail or a size estimated short lands here, and those bytes must be held to
     * go on at all.
     */
    void cover(long held) {
        if (held > claimed) {
            budget.force(held - claimed);
            claimed = held;
        }
    }

    /** Runs {@code retry} once the budget has memory again for {@code need} bytes in all. */
    void whenFreed(long need, Runnable retry) {
        budget.whenFreed(need - claimed, retry);
    }

    /** The writer let its buffers go: what a request still under way holds goes with it, counted free from now. */
    void release() {
        budget.give(claimed);
        claimed = 0;
    }
}
