namespace Broker.Core.Native;

/// <summary>Descriptor numbering rules for handing a descriptor to a child as its fd 3.</summary>
internal static class DescriptorNumbers
{
    private const int F_DUPFD_CLOEXEC = 1030;

    /// <summary>
    /// A child gets a descriptor as fd 3 through dup2, and dup2 onto the same number keeps close-on-exec: a
    /// descriptor that already is fd 3 is moved to a number of 10 or more (the original is closed). Returns the
    /// number to use, or -1 (errno set) if the move failed.
    /// </summary>
    public static int KeepOffThree(int fd)
    {
        if (fd != 3)
        {
            return fd;
        }

        var moved = LibC.fcntl(fd, F_DUPFD_CLOEXEC, 10);
        LibC.close(fd);
        return moved;
    }
}
