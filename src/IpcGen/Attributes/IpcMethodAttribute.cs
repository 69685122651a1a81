namespace IpcGen;

/// <summary>
/// Gives a contract method an explicit wire id. Without it the id is a stable hash of the method's
/// name and parameter types, so renaming a method or changing its parameters changes its id.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class IpcMethodAttribute : Attribute
{
    /// <summary>The method id on the wire; unique within the contract.</summary>
    public int Id { get; set; }
}
