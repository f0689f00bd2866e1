package dev.relay.infra.r2dbc;

import dev.relay.streaming.port.Transactions;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/** {@link Transactions} on Spring's reactive transaction support over the R2DBC connection factory. */
public final class R2dbcTransactions implements Transactions {

    private final TransactionalOperator tx;

    public R2dbcTransactions(TransactionalOperator tx) {
        this.tx = tx;
    }

    @Override
    public <T> Mono<T> required(Mono<T> work) {
        return Sql.classify(tx.transactional(work));
    }
}
