namespace IpcGen;

/// <summary>
/// Marks a contract method as fire-and-forget: the client returns once the request is sent, the
/// server sends no response, and exceptions thrown by the service are logged on the server only.
/// The method must return <c>void</c>, <c>Task</c> or <c>ValueTask</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OneWayAttribute : Attribute
{
}
