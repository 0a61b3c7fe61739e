namespace Tollgate.Storage;

public enum TableUpdateMode
{
    /// <summary>The stored entity becomes exactly the one sent.</summary>
    Replace,

    /// <summary>Properties sent overwrite, others stay.</summary>
    Merge,
}
