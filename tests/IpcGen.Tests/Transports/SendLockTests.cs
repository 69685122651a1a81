using IpcGen.Transports;

namespace IpcGen.Tests.Transports;

public sealed class SendLockTests
{
    [Fact]
    public void Contended_senders_exclude_each_other_and_none_is_left_asleep()
    {
        var sendLock = new SendLock();
        long counter = 0; // deliberately not atomic: only the lock keeps increments from being lost
        const int threads = 6, rounds = 20_000;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                sendLock.Enter();
                long seen = counter;
                if (i % 5_000 == 0)
                {
                    Thread.Sleep(2); // a long hold: the others go to sleep on the monitor and must be woken
                }
                counter = seen + 1;
                sendLock.Exit();
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => Assert.True(w.Join(TimeSpan.FromMinutes(2)), "a sender never got the lock"));
        Assert.Equal(threads * rounds, counter);
        Assert.True(sendLock.TryEnter(), "the lock is free once everyone is done");
    }

    [Fact]
    public void TryEnter_fails_while_held_and_succeeds_after_exit()
    {
        var sendLock = new SendLock();
        Assert.True(sendLock.TryEnter());
        Assert.False(sendLock.TryEnter());
        sendLock.Exit();
        Assert.True(sendLock.TryEnter());
    }
}
