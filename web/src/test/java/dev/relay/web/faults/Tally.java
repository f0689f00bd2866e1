package dev.relay.web.faults;

import java.util.function.BooleanSupplier;

/**
 * Counts a flood's answers against a rate limit of {@code burst} at once and {@code perMinute} after: an attempt got
 * its documented answer unless it was neither accepted nor refused with the limit's code, or refused while the
 * burst was not used up, or accepted beyond what the bucket could have held over the flood's duration.
 */
final class Tally {

    enum Answer { ACCEPTED, REFUSED, WRONG }

    @FunctionalInterface
    interface Attempt {
        Answer run(int index) throws Exception;
    }

    private Tally() {
    }

    /** Runs {@code n} attempts one after the other; returns how many got their documented answer. */
    static int of(int n, int burst, double perMinute, Attempt attempt) throws Exception {
        return of(n, () -> true, burst, perMinute, attempt);
    }

    /**
     * Runs attempts one after the other, at least {@code n} and then on until {@code enough} (at most 100 n); returns
     * how many got their documented answer (how many ran: count them in {@code attempt}).
     */
    static int of(int n, BooleanSupplier enough, int burst, double perMinute, Attempt attempt) throws Exception {
        long start = System.nanoTime();
        int accepted = 0;
        int wrong = 0;
        int refused = 0;
        for (int i = 0; i < n || (!enough.getAsBoolean() && i < 100 * n); i++) {
            switch (attempt.run(i)) {
                case ACCEPTED -> accepted++;
                case WRONG -> wrong++;
                case REFUSED -> refused++;
            }
        }
        int ran = accepted + wrong + refused;
        double minutes = (System.nanoTime() - start) / 60e9;
        int allowed = burst + (int) Math.ceil(minutes * perMinute) + 1;
        int refusedTooEarly = Math.max(0, Math.min(ran - wrong, burst) - accepted);
        int acceptedTooMany = Math.max(0, accepted - allowed);
        return ran - wrong - refusedTooEarly - acceptedTooMany;
    }
}
