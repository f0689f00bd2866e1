package dev.relay.streaming.support;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs submitted tasks one at a time, in submission order, on whichever thread submits while no other task runs.
 * It gives a session actor semantics without a thread of its own and without holding a lock across I/O: tasks only
 * mutate state and start asynchronous work whose completion is submitted back.
 */
public final class SerialExecutor implements Executor {

    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pending = new AtomicInteger();

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        if (pending.getAndIncrement() != 0) {
            return;
        }
        VirtualMachineError fatal = null;
        int done = 1;
        do {
            for (int i = 0; i < done; i++) {
                Runnable next = tasks.poll();
                try {
                    next.run();
                } catch (VirtualMachineError e) {
                    // Out of memory, say: the tasks queued behind it still run, so the executor stays usable, and
                    // the error then goes on to this thread's caller (and its handler), never swallowed.
                    log.error("Task failed in serial executor", e);
                    fatal = fatal == null ? e : fatal;
                } catch (Throwable e) {
                    log.error("Task failed in serial executor", e);
                }
            }
            done = pending.addAndGet(-done);
        } while (done != 0);
        if (fatal != null) {
            throw fatal;
        }
    }
}
