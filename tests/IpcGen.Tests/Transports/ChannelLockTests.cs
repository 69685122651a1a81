using IpcGen.Transports;

namespace IpcGen.Tests.Transports;

public sealed class ChannelLockTests
{
    [Fact]
    public void The_receiver_role_is_taken_apart_from_the_sender_role_or_with_it_in_one_step()
    {
        var roles = new ChannelLock();
        Assert.True(roles.TryEnterReceiver());
        Assert.True(roles.ReceiverTaken);
        Assert.False(roles.TryEnterReceiver());
        Assert.False(roles.TryEnterBoth(), "the receiver role is taken");
        Assert.True(roles.TryEnter(), "the sender role is free while another thread reads");
        Assert.False(roles.TryEnter());
        roles.Exit();
        roles.ExitReceiver();
        Assert.False(roles.ReceiverTaken);

        Assert.True(roles.TryEnter());
        Assert.False(roles.TryEnterBoth(), "the sender role is taken");
        Assert.True(roles.TryEnterReceiver());
        roles.ExitReceiver();
        roles.Exit();

        Assert.True(roles.TryEnterBoth());
        Assert.True(roles.ReceiverTaken);
        Assert.False(roles.TryEnter());
        Assert.False(roles.TryEnterReceiver());
        roles.Exit();
        Assert.True(roles.ReceiverTaken, "letting the sender role go keeps the receiver role");
        Assert.True(roles.TryEnter());
        roles.Exit();
        roles.ExitReceiver();
        Assert.True(roles.TryEnterBoth(), "both free again");
    }

    [Fact]
    public void Contended_senders_and_a_toggling_receiver_never_disturb_each_other()
    {
        var roles = new ChannelLock();
        long sends = 0, reads = 0; // deliberately not atomic: only the roles keep increments from being lost
        const int senders = 4, rounds = 20_000;
        var workers = Enumerable.Range(0, senders).Select(t => new Thread(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                roles.Enter();
                long seen = sends;
                if (i % 5_000 == 0)
                {
                    Thread.Sleep(2); // the other senders go to sleep on the monitor, marking the state
                }
                sends = seen + 1;
                roles.Exit();
            }
        })).ToList();
        // Two readers taking turns through the receiver bit while the sender state moves under them.
        workers.AddRange(Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            for (int done = 0; done < rounds;)
            {
                if (roles.TryEnterReceiver())
                {
                    reads++;
                    done++;
                    roles.ExitReceiver();
                }
                else if (roles.TryEnterBoth())
                {
                    reads++;
                    done++;
                    roles.Exit();
                    roles.ExitReceiver();
                }
            }
        })));
        workers.ForEach(w => w.Start());
        workers.ForEach(w => Assert.True(w.Join(TimeSpan.FromMinutes(2)), "a thread never got its role"));
        Assert.Equal(senders * rounds, sends);
        Assert.Equal(2 * rounds, reads);
        Assert.False(roles.ReceiverTaken);
        Assert.True(roles.TryEnterBoth(), "both roles are free once everyone is done");
    }

    [Fact]
    public void Contended_senders_exclude_each_other_and_none_is_left_asleep()
    {
        var channelLock = new ChannelLock();
        long counter = 0; // deliberately not atomic: only the lock keeps increments from being lost
        const int threads = 6, rounds = 20_000;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                channelLock.Enter();
                long seen = counter;
                if (i % 5_000 == 0)
                {
                    Thread.Sleep(2); // a long hold: the others go to sleep on the monitor and must be woken
                }
                counter = seen + 1;
                channelLock.Exit();
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => Assert.True(w.Join(TimeSpan.FromMinutes(2)), "a sender never got the lock"));
        Assert.Equal(threads * rounds, counter);
        Assert.True(channelLock.TryEnter(), "the lock is free once everyone is done");
    }

    [Fact]
    public void TryEnter_fails_while_held_and_succeeds_after_exit()
    {
        var channelLock = new ChannelLock();
        Assert.True(channelLock.TryEnter());
        Assert.False(channelLock.TryEnter());
        channelLock.Exit();
        Assert.True(channelLock.TryEnter());
    }
}
