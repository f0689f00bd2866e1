package dev.relay.streaming.chat;

import dev.relay.api.wire.UserInfo;
import dev.relay.streaming.port.EventBus.Envelope;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PresenceInterestUnitTests {

    private final PresenceInterest interest = new PresenceInterest();
    private final Object tab = new Object();
    private final Object cli = new Object();

    @Test
    void aStreamGetsItsPeersChangesAndNobodyElses() {
        List<UserInfo> alice = new CopyOnWriteArrayList<>();
        PresenceInterest.Listener stream = interest.open(tab, "alice", alice::add);
        interest.addPeers(stream, List.of("bob", "carol", "alice"));
        interest.deliver(List.of(user("bob", true), user("dave", true), user("carol", false)));
        assertThat(alice).extracting(UserInfo::id).containsExactly("bob", "carol");
        assertThat(interest.interested("alice")).as("never one's own peer").isZero();

        // A peer of a later message.
        interest.addPeer(stream, "dave");
        interest.deliver(List.of(user("dave", false)));
        assertThat(alice).extracting(UserInfo::id).containsExactly("bob", "carol", "dave");
    }

    @Test
    void aWatchAppliesToEveryStreamOfItsConnectionOpenedBeforeOrAfterAndOnlyThere() {
        List<UserInfo> first = new CopyOnWriteArrayList<>();
        List<UserInfo> second = new CopyOnWriteArrayList<>();
        List<UserInfo> other = new CopyOnWriteArrayList<>();
        interest.open(tab, "alice", first::add);
        interest.open(cli, "alice", other::add);
        interest.watch(tab, List.of("bob"));
        interest.open(tab, "alice", second::add);
        interest.deliver(List.of(user("bob", true)));
        assertThat(first).hasSize(1);
        assertThat(second).hasSize(1);
        assertThat(other).as("another connection of the same user").isEmpty();
        assertThat(interest.interested("bob")).isEqualTo(2);
    }

    @Test
    void aWatchReplacesThePreviousOneButKeepsPeers() {
        List<UserInfo> seen = new CopyOnWriteArrayList<>();
        PresenceInterest.Listener stream = interest.open(tab, "alice", seen::add);
        interest.addPeer(stream, "carol");
        interest.watch(tab, List.of("bob", "carol"));
        interest.deliver(List.of(user("carol", false)));
        assertThat(seen).as("a peer watched too is told once").hasSize(1);
        seen.clear();
        interest.watch(tab, List.of("dave"));
        interest.deliver(List.of(user("bob", true), user("carol", true), user("dave", true)));
        assertThat(seen).extracting(UserInfo::id).containsExactly("carol", "dave");
        interest.watch(tab, List.of());
        assertThat(interest.interested("dave")).isZero();
        assertThat(interest.interested("carol")).isEqualTo(1);
    }

    @Test
    void closingStreamsAndForgettingConnectionsLeavesNothingIndexed() {
        PresenceInterest.Listener one = interest.open(tab, "alice", u -> { });
        PresenceInterest.Listener two = interest.open(null, "bob", u -> { });
        interest.addPeers(one, List.of("x", "y"));
        interest.addPeers(two, List.of("x"));
        interest.watch(tab, List.of("z", "x"));
        assertThat(interest.indexedUsers()).isEqualTo(3);
        interest.close(one);
        interest.close(one);
        assertThat(interest.interested("x")).isEqualTo(1);
        interest.addPeer(one, "w");
        assertThat(interest.interested("w")).as("a closed stream takes no new peers").isZero();
        interest.close(two);
        assertThat(interest.indexedUsers()).isZero();

        // A watch outlives its streams while the connection is open (the next stream gets it), not after.
        List<UserInfo> later = new CopyOnWriteArrayList<>();
        PresenceInterest.Listener three = interest.open(tab, "alice", later::add);
        interest.deliver(List.of(user("z", true)));
        assertThat(later).hasSize(1);
        interest.forget(tab);
        interest.deliver(List.of(user("z", false)));
        assertThat(later).hasSize(1);
        interest.close(three);
        assertThat(interest.indexedUsers()).isZero();
        assertThat(interest.connections()).isZero();
    }

    @Test
    void connectionsWatchingTheSameUsersShareOneSetAndEachHearsOnce() {
        List<UserInfo> first = new CopyOnWriteArrayList<>();
        List<UserInfo> second = new CopyOnWriteArrayList<>();
        interest.open(tab, "alice", first::add);
        PresenceInterest.Listener cliStream = interest.open(cli, "bob", second::add);
        // Equal ids, other instances and order (as decoded from two requests).
        interest.watch(tab, List.of(new String("x"), new String("y")));
        interest.watch(cli, List.of(new String("y"), new String("x"), new String("x")));
        interest.deliver(List.of(user("x", true), user("y", true)));
        assertThat(first).extracting(UserInfo::id).containsExactly("x", "y");
        assertThat(second).extracting(UserInfo::id).containsExactly("x", "y");
        assertThat(interest.interested("x")).isEqualTo(2);

        // One leaves the shared set: the other keeps it.
        interest.watch(cli, List.of("y"));
        interest.deliver(List.of(user("x", false)));
        assertThat(first).hasSize(3);
        assertThat(second).hasSize(2);
        interest.close(cliStream);
        interest.forget(cli);
        interest.forget(tab);
        interest.deliver(List.of(user("y", false)));
        assertThat(first).hasSize(3);
        assertThat(interest.indexedUsers()).isZero();
    }

    @Test
    void changesOfPeersThatArriveWhileThePeersLoadAreDeliveredOnceLoaded() {
        List<UserInfo> seen = new CopyOnWriteArrayList<>();
        PresenceInterest.Listener stream = interest.open(tab, "alice", seen::add, true);
        interest.watch(tab, List.of("carol"));
        interest.deliver(List.of(user("bob", true), user("carol", true), user("dave", true)));
        assertThat(seen).extracting(UserInfo::id).as("watched: at once").containsExactly("carol");
        interest.peersLoaded(stream, List.of("bob", "carol"));
        assertThat(seen).extracting(UserInfo::id).as("bob's change kept; carol's not twice").containsExactly("carol",
                "bob");
        interest.deliver(List.of(user("bob", false)));
        assertThat(seen).hasSize(3);

        List<UserInfo> closedEarly = new CopyOnWriteArrayList<>();
        PresenceInterest.Listener gone = interest.open(cli, "erin", closedEarly::add, true);
        interest.deliver(List.of(user("bob", true)));
        interest.close(gone);
        interest.peersLoaded(gone, List.of("bob"));
        assertThat(closedEarly).isEmpty();
        assertThat(interest.interested("bob")).isEqualTo(1);
    }

    @Test
    void watchAndPeersAreBounded() {
        assertThatThrownBy(() -> interest.watch(tab, IntStream.range(0, PresenceInterest.MAX_WATCH + 1)
                .mapToObj(i -> "u" + i).toList())).isInstanceOf(IllegalArgumentException.class);
        PresenceInterest.Listener stream = interest.open(tab, "alice", u -> { });
        interest.addPeers(stream, IntStream.range(0, PresenceInterest.MAX_PEERS + 10).mapToObj(i -> "p" + i)
                .toList());
        assertThat(interest.indexedUsers()).isEqualTo(PresenceInterest.MAX_PEERS);
    }

    @Test
    void followsTheBusesPresenceBatches() {
        RecordingBus bus = new RecordingBus();
        List<UserInfo> seen = new CopyOnWriteArrayList<>();
        interest.addPeers(interest.open(tab, "alice", seen::add), List.of("bob"));
        Disposable following = interest.follow(bus);
        bus.publish(Envelope.presence(List.of(user("bob", true), user("carol", true))));
        following.dispose();
        bus.publish(Envelope.presence(List.of(user("bob", false))));
        assertThat(seen).extracting(UserInfo::online).containsExactly(true);
    }

    private static UserInfo user(String id, boolean online) {
        return new UserInfo(id, id, id, UserInfo.Role.USER, online, false);
    }
}
