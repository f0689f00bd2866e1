package dev.relay.web.faults;

import java.util.Random;

/**
 * How much each fault case does. The default is a quick subset for CI; {@code -Drelay.faults.full=true} is the
 * full run of issue #4 (bench/faults.sh). Every count can also be set on its own, e.g. {@code -Drelay.faults.kills=7}.
 */
final class FaultSettings {

    static final boolean FULL = Boolean.getBoolean("relay.faults.full");
    /** One seed for every random choice of a run, printed and recorded so a failing run can be replayed. */
    static final long SEED = Long.getLong("relay.faults.seed", System.currentTimeMillis() % 1_000_000);

    private FaultSettings() {
    }

    static int count(String name, int quick, int full) {
        return Integer.getInteger("relay.faults." + name, FULL ? full : quick);
    }

    static long seconds(String name, long quick, long full) {
        return Long.getLong("relay.faults." + name + "-seconds", FULL ? full : quick);
    }

    /** A random source per case, derived from the run's seed, so cases do not shift each other's choices. */
    static Random random(String caseName) {
        long seed = SEED * 31 + caseName.hashCode();
        System.out.printf("[faults] %s: seed %d (run with -Drelay.faults.seed=%d to replay), %s run%n", caseName,
                SEED, SEED, FULL ? "full" : "quick");
        return new Random(seed);
    }

    static String mode() {
        return FULL ? "full" : "quick";
    }
}
