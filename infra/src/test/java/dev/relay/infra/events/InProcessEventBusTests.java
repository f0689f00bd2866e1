package dev.relay.infra.events;

import dev.relay.api.wire.Event;
import dev.relay.api.wire.UserInfo;
import dev.relay.streaming.port.EventBus.Envelope;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

class InProcessEventBusTests {

    @Test
    void aUsersSubscribersGetTheirEnvelopesAndBroadcastsOnly() {
        InProcessEventBus bus = new InProcessEventBus();
        List<Envelope> alice = new CopyOnWriteArrayList<>();
        List<Envelope> bob = new CopyOnWriteArrayList<>();
        List<Envelope> all = new CopyOnWriteArrayList<>();
        Disposable a = bus.subscribe("alice").subscribe(alice::add);
        Disposable b = bus.subscribe("bob").subscribe(bob::add);
        Disposable c = bus.subscribe().subscribe(all::add);

        bus.publish(Envelope.to("alice", event(1)));
        bus.publish(Envelope.to("bob", event(2)));
        bus.publish(Envelope.everyone(event(3)));
        bus.publish(Envelope.disconnect("bob"));

        assertThat(alice).extracting(e -> e.event().id()).containsExactly(1L, 3L);
        assertThat(bob).extracting(Envelope::disconnect).containsExactly(false, false, true);
        assertThat(all).hasSize(4);
        a.dispose();
        b.dispose();
        c.dispose();
    }

    @Test
    void aTopicOutlivesOneOfTwoSubscribersAndIsGoneWithTheLast() {
        InProcessEventBus bus = new InProcessEventBus();
        List<Envelope> first = new CopyOnWriteArrayList<>();
        List<Envelope> second = new CopyOnWriteArrayList<>();
        Disposable one = bus.subscribe("carol").subscribe(first::add);
        Disposable two = bus.subscribe("carol").subscribe(second::add);
        one.dispose();
        bus.publish(Envelope.to("carol", event(7)));
        assertThat(first).isEmpty();
        assertThat(second).hasSize(1);
        two.dispose();
        List<Envelope> later = new CopyOnWriteArrayList<>();
        bus.subscribe("carol").subscribe(later::add);
        bus.publish(Envelope.to("carol", event(8)));
        assertThat(later).extracting(e -> e.event().id()).containsExactly(8L);
    }

    @Test
    void presenceBatchesGoToPresenceSubscribersOnly() {
        InProcessEventBus bus = new InProcessEventBus();
        List<Envelope> user = new CopyOnWriteArrayList<>();
        List<Envelope> all = new CopyOnWriteArrayList<>();
        List<Envelope> presence = new CopyOnWriteArrayList<>();
        Disposable a = bus.subscribe("alice").subscribe(user::add);
        Disposable b = bus.subscribe().subscribe(all::add);
        Disposable c = bus.presence().subscribe(presence::add);
        bus.publish(Envelope.presence(List.of(new UserInfo("bob", "bob", "Bob", UserInfo.Role.USER, true, false))));
        bus.publish(Envelope.everyone(event(1)));
        assertThat(presence).hasSize(1);
        assertThat(presence.get(0).presence()).extracting(UserInfo::id).containsExactly("bob");
        assertThat(user).extracting(Envelope::presence).containsOnlyNulls().hasSize(1);
        assertThat(all).extracting(Envelope::presence).containsOnlyNulls().hasSize(1);
        a.dispose();
        b.dispose();
        c.dispose();
    }

    private static Event event(long id) {
        return new Event(id, Event.Type.MESSAGE, Instant.EPOCH, null, null, null, null);
    }

    @Test
    void aSubscriberMayPublishWhileItIsCalled() {
        InProcessEventBus bus = new InProcessEventBus();
        List<Envelope> seen = new CopyOnWriteArrayList<>();
        // Like closing a connection on a disconnect signal, which announces the user offline.
        Disposable reacting = bus.subscribe().subscribe(e -> {
            seen.add(e);
            if (e.disconnect()) {
                bus.publish(Envelope.everyone(event(9)));
            }
        });
        bus.publish(Envelope.disconnect("dave"));
        assertThat(seen).extracting(Envelope::disconnect).containsExactly(true, false);
        reacting.dispose();
    }
}
