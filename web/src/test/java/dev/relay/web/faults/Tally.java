package dev.relay.web.faults;

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
        long start = System.nanoTime();
        int accepted = 0;
        int wrong = 0;
        for (int i = 0; i < n; i++) {
            switch (attempt.run(i)) {
                case ACCEPTED -> accepted++;
                case WRONG -> wrong++;
                case REFUSED -> { }
            }
        }
        double minutes = (System.nanoTime() - start) / 60e9;
        int allowed = burst + (int) Math.ceil(minutes * perMinute) + 1;
        int refusedTooEarly = Math.max(0, Math.min(n - wrong, burst) - accepted);
        int acceptedTooMany = Math.max(0, accepted - allowed);
        return n - wrong - refusedTooEarly - acceptedTooMany;
    }
}
