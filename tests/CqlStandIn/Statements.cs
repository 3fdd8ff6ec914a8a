using System.Globalization;
using System.Text;
using Cql;

namespace CqlStandIn;

/// <summary>An error the node answers with: the code and message Cassandra would give.</summary>
public sealed class NodeException(CqlErrorCode code, string message) : Exception(message)
{
    public CqlErrorCode Code { get; } = code;

    /// <summary>The error's extra body (section 9): the statement id for UNPREPARED, keyspace and table for ALREADY_EXISTS.</summary>
    public Action<ProtocolWriter>? Details { get; init; }

    public static NodeException Invalid(string message) => new(CqlErrorCode.Invalid, message);

    public static NodeException Syntax(string message) => new(CqlErrorCode.SyntaxError, message);
}

/// <summary>A value in a statement: a bind marker (numbered in order of appearance) or a literal.</summary>
public abstract record Term;

public sealed record Marker(int Index) : Term;

/// <summary>A literal: text, a number (as written), true/false, or null.</summary>
public sealed record Literal(object? Value) : Term;

/// <summary>A column type as declared: the CQL type and whether the column's collection is frozen.</summary>
public sealed record DeclaredType(CqlType Type, bool Frozen);

public abstract record Statement;

public sealed record CreateKeyspace(string Name, bool IfNotExists, IReadOnlyDictionary<string, string> Replication) : Statement;

public sealed record DropKeyspace(string Name, bool IfExists) : Statement;

public sealed record CreateTable(string? Keyspace, string Name, bool IfNotExists, IReadOnlyList<(string Name, DeclaredType Type)> Columns,
    IReadOnlyList<string> PartitionKey, IReadOnlyList<string> Clustering) : Statement;

public sealed record AlterTableAdd(string? Keyspace, string Table, string Column, DeclaredType Type) : Statement;

public sealed record DropTable(string? Keyspace, string Table, bool IfExists) : Statement;

public sealed record Truncate(string? Keyspace, string Table) : Statement;

public sealed record Insert(string? Keyspace, string Table, IReadOnlyList<string> Columns, IReadOnlyList<Term> Values, bool IfNotExists, Term? Ttl, Term? Timestamp)
    : Statement;

public sealed record Update(string? Keyspace, string Table, IReadOnlyList<(string Column, Term Value)> Set, IReadOnlyList<(string Column, Term Value)> Where,
    bool IfExists, IReadOnlyList<(string Column, Term Value)> Conditions, Term? Ttl, Term? Timestamp) : Statement;

public sealed record Delete(string? Keyspace, string Table, IReadOnlyList<(string Column, Term Value)> Where, Term? Timestamp,
    bool IfExists = false, IReadOnlyList<(string Column, Term Value)>? Conditions = null) : Statement
{
    public bool IsConditional => IfExists || Conditions is { Count: > 0 };
}

/// <summary>A SELECT; <see cref="Columns"/> is null for <c>*</c>.</summary>
public sealed record SelectFrom(string? Keyspace, string Table, IReadOnlyList<string>? Columns, IReadOnlyList<(string Column, Term Value)> Where, Term? Limit)
    : Statement;

/// <summary>
/// Parses the CQL a node is sent into statements: keyspace and table DDL, INSERT, UPDATE, DELETE and SELECT with
/// equality restrictions, lightweight-transaction clauses and USING TTL/TIMESTAMP. Anything else is the syntax
/// error Cassandra would answer; unquoted names are lower-cased and quoted ones kept, as CQL does.
/// </summary>
public sealed class StatementParser
{
    private enum Kind { Word, Quoted, Text, Number, Symbol, End }

    private readonly record struct Token(Kind Kind, string Text, int At);

    private readonly List<Token> _tokens;
    private int _at;
    private int _markers;

    private StatementParser(string cql) => _tokens = Lex(cql);

    /// <summary>The statement and how many bind markers it has.</summary>
    public static (Statement Statement, int Markers) Parse(string cql)
    {
        var parser = new StatementParser(cql);
        var statement = parser.Statement();
        parser.Accept(";");
        if (parser.Peek.Kind != Kind.End)
        {
            throw parser.Unexpected();
        }

        return (statement, parser._markers);
    }

    private static List<Token> Lex(string cql)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < cql.Length)
        {
            var c = cql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < cql.Length && (char.IsAsciiLetterOrDigit(cql[i]) || cql[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(Kind.Word, cql[start..i], start));
            }
            else if (c is '"' or '\'')
            {
                var start = i++;
                var text = new StringBuilder();
                while (true)
                {
                    if (i >= cql.Length)
                    {
                        throw NodeException.Syntax($"line 1:{start} unterminated {(c == '"' ? "quoted identifier" : "string")}");
                    }

                    if (cql[i] == c && i + 1 < cql.Length && cql[i + 1] == c)
                    {
                        text.Append(c);
                        i += 2;
                    }
                    else if (cql[i] == c)
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        text.Append(cql[i++]);
                    }
                }

                tokens.Add(new Token(c == '"' ? Kind.Quoted : Kind.Text, text.ToString(), start));
            }
            else if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < cql.Length && char.IsAsciiDigit(cql[i + 1])))
            {
                var start = i++;
                while (i < cql.Length && (char.IsAsciiDigit(cql[i]) || cql[i] is '.' or 'e' or 'E'))
                {
                    i++;
                }

                tokens.Add(new Token(Kind.Number, cql[start..i], start));
            }
            else if ("(),.;=?{}:<>*".Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(new Token(Kind.Symbol, c.ToString(), i++));
            }
            else
            {
                throw NodeException.Syntax($"line 1:{i} no viable alternative at character '{c}'");
            }
        }

        tokens.Add(new Token(Kind.End, "<EOF>", cql.Length));
        return tokens;
    }

    private Token Peek => _tokens[_at];

    private NodeException Unexpected() => NodeException.Syntax($"line 1:{Peek.At} mismatched input '{Peek.Text}'");

    private bool IsKeyword(string word, int ahead = 0) =>
        _tokens[Math.Min(_at + ahead, _tokens.Count - 1)] is { Kind: Kind.Word } t && string.Equals(t.Text, word, StringComparison.OrdinalIgnoreCase);

    private bool Accept(string wordOrSymbol)
    {
        if (IsKeyword(wordOrSymbol) || (Peek.Kind == Kind.Symbol && Peek.Text == wordOrSymbol))
        {
            _at++;
            return true;
        }

        return false;
    }

    private void Expect(string wordOrSymbol)
    {
        if (!Accept(wordOrSymbol))
        {
            throw Unexpected();
        }
    }

    private void ExpectAll(params string[] words)
    {
        foreach (var word in words)
        {
            Expect(word);
        }
    }

    private string Identifier()
    {
        var t = Peek;
        if (t.Kind is not (Kind.Word or Kind.Quoted))
        {
            throw Unexpected();
        }

        _at++;
        return t.Kind == Kind.Quoted ? t.Text : t.Text.ToLowerInvariant();
    }

    private (string? Keyspace, string Name) QualifiedName()
    {
        var first = Identifier();
        return Accept(".") ? (first, Identifier()) : (null, first);
    }

    private List<T> List<T>(Func<T> item)
    {
        var items = new List<T> { item() };
        while (Accept(","))
        {
            items.Add(item());
        }

        return items;
    }

    private Term Term()
    {
        var t = Peek;
        _at++;
        return t switch
        {
            { Kind: Kind.Symbol, Text: "?" } => new Marker(_markers++),
            { Kind: Kind.Text } => new Literal(t.Text),
            { Kind: Kind.Number } => new Literal(decimal.Parse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture)),
            { Kind: Kind.Word } when t.Text.Equals("null", StringComparison.OrdinalIgnoreCase) => new Literal(null),
            { Kind: Kind.Word } when bool.TryParse(t.Text, out var b) => new Literal(b),
            _ => throw NodeException.Syntax($"line 1:{t.At} no viable alternative at input '{t.Text}'"),
        };
    }

    private List<(string, Term)> Equalities(string separator)
    {
        var items = new List<(string, Term)>();
        do
        {
            var column = Identifier();
            Expect("=");
            items.Add((column, Term()));
        }
        while (Accept(separator));

        return items;
    }

    private Statement Statement()
    {
        if (Accept("CREATE"))
        {
            if (Accept("KEYSPACE"))
            {
                return CreateKeyspaceRest();
            }

            Expect("TABLE");
            return CreateTableRest();
        }

        if (Accept("DROP"))
        {
            var isTable = Accept("TABLE");
            if (!isTable)
            {
                Expect("KEYSPACE");
            }

            var ifExists = Accept("IF");
            if (ifExists)
            {
                Expect("EXISTS");
            }

            if (isTable)
            {
                var (keyspace, table) = QualifiedName();
                return new DropTable(keyspace, table, ifExists);
            }

            return new DropKeyspace(Identifier(), ifExists);
        }

        if (Accept("ALTER"))
        {
            Expect("TABLE");
            var (keyspace, table) = QualifiedName();
            Expect("ADD");
            var column = Identifier();
            return new AlterTableAdd(keyspace, table, column, DeclaredTypeRule());
        }

        if (Accept("TRUNCATE"))
        {
            Accept("TABLE");
            var (keyspace, table) = QualifiedName();
            return new Truncate(keyspace, table);
        }

        if (Accept("INSERT"))
        {
            return InsertRest();
        }

        if (Accept("UPDATE"))
        {
            return UpdateRest();
        }

        if (Accept("DELETE"))
        {
            Expect("FROM");
            var (keyspace, table) = QualifiedName();
            var timestamp = Using().Timestamp;
            Expect("WHERE");
            var where = Equalities("AND");
            if (!Accept("IF"))
            {
                return new Delete(keyspace, table, where, timestamp);
            }

            return Accept("EXISTS") ? new Delete(keyspace, table, where, timestamp, IfExists: true) : new Delete(keyspace, table, where, timestamp, Conditions: Equalities("AND"));
        }

        if (Accept("SELECT"))
        {
            IReadOnlyList<string>? columns = Accept("*") ? null : List(Identifier);
            Expect("FROM");
            var (keyspace, table) = QualifiedName();
            var where = Accept("WHERE") ? Equalities("AND") : [];
            var limit = Accept("LIMIT") ? Term() : null;
            return new SelectFrom(keyspace, table, columns, where, limit);
        }

        throw Unexpected();
    }

    private bool IfNotExists()
    {
        if (!Accept("IF"))
        {
            return false;
        }

        ExpectAll("NOT", "EXISTS");
        return true;
    }

    private CreateKeyspace CreateKeyspaceRest()
    {
        var ifNotExists = IfNotExists();
        var name = Identifier();
        ExpectAll("WITH", "replication", "=", "{");
        var replication = new Dictionary<string, string>(StringComparer.Ordinal);
        do
        {
            var key = Peek.Kind == Kind.Text ? Peek.Text : throw Unexpected();
            _at++;
            Expect(":");
            var value = Peek.Kind is Kind.Text or Kind.Number ? Peek.Text : throw Unexpected();
            _at++;
            replication[key] = value;
        }
        while (Accept(","));

        Expect("}");
        if (Accept("AND"))
        {
            ExpectAll("durable_writes", "=");
            Term();
        }

        return new CreateKeyspace(name, ifNotExists, replication);
    }

    private CreateTable CreateTableRest()
    {
        var ifNotExists = IfNotExists();
        var (keyspace, name) = QualifiedName();
        Expect("(");
        var columns = new List<(string, DeclaredType)>();
        List<string>? partition = null;
        List<string> clustering = [];
        do
        {
            if (Accept("PRIMARY"))
            {
                ExpectAll("KEY", "(");
                if (Accept("("))
                {
                    partition = List(Identifier);
                    Expect(")");
                }
                else
                {
                    partition = [Identifier()];
                }

                clustering = Accept(",") ? List(Identifier) : [];
                Expect(")");
            }
            else
            {
                var column = Identifier();
                columns.Add((column, DeclaredTypeRule()));
                if (Accept("PRIMARY"))
                {
                    Expect("KEY");
                    partition = [column];
                }
            }
        }
        while (Accept(","));

        Expect(")");
        return new CreateTable(keyspace, name, ifNotExists, columns,
            partition ?? throw Invalid("No PRIMARY KEY specifed for table '" + name + "' (exactly one required)"), clustering);
    }

    private static NodeException Invalid(string message) => NodeException.Invalid(message);

    private static readonly Dictionary<string, CqlTypeId> Native = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ascii"] = CqlTypeId.Ascii, ["bigint"] = CqlTypeId.BigInt, ["blob"] = CqlTypeId.Blob, ["boolean"] = CqlTypeId.Boolean,
        ["counter"] = CqlTypeId.Counter, ["decimal"] = CqlTypeId.Decimal, ["double"] = CqlTypeId.Double, ["float"] = CqlTypeId.Float,
        ["int"] = CqlTypeId.Int, ["timestamp"] = CqlTypeId.Timestamp, ["uuid"] = CqlTypeId.Uuid, ["text"] = CqlTypeId.Varchar,
        ["varchar"] = CqlTypeId.Varchar, ["varint"] = CqlTypeId.Varint, ["timeuuid"] = CqlTypeId.TimeUuid, ["inet"] = CqlTypeId.Inet,
        ["date"] = CqlTypeId.Date, ["time"] = CqlTypeId.Time, ["smallint"] = CqlTypeId.SmallInt, ["tinyint"] = CqlTypeId.TinyInt,
    };

    /// <summary>A column's type. Collections inside collections must be frozen, as Cassandra requires.</summary>
    private DeclaredType DeclaredTypeRule() => TypeRule(insideFrozen: false, insideCollection: false);

    private DeclaredType TypeRule(bool insideFrozen, bool insideCollection)
    {
        var word = Peek.Kind == Kind.Word ? Peek.Text.ToLowerInvariant() : throw Unexpected();
        _at++;
        if (word == "frozen")
        {
            Expect("<");
            var inner = TypeRule(insideFrozen: true, insideCollection);
            Expect(">");
            return inner with { Frozen = true };
        }

        if (word is "list" or "set" or "map")
        {
            if (insideCollection && !insideFrozen)
            {
                throw Invalid("Non-frozen collections are not allowed inside collections");
            }

            Expect("<");
            var first = TypeRule(insideFrozen, insideCollection: true).Type;
            CqlType type;
            if (word == "map")
            {
                Expect(",");
                type = CqlType.MapOf(first, TypeRule(insideFrozen, insideCollection: true).Type);
            }
            else
            {
                type = word == "list" ? CqlType.ListOf(first) : CqlType.SetOf(first);
            }

            Expect(">");
            return new DeclaredType(type, insideFrozen);
        }

        return Native.TryGetValue(word, out var id) ? new DeclaredType(CqlType.Of(id), false) : throw Invalid($"Unknown type {word}");
    }

    private (Term? Ttl, Term? Timestamp) Using()
    {
        Term? ttl = null, timestamp = null;
        if (Accept("USING"))
        {
            do
            {
                if (Accept("TTL"))
                {
                    ttl = Term();
                }
                else
                {
                    Expect("TIMESTAMP");
                    timestamp = Term();
                }
            }
            while (Accept("AND"));
        }

        return (ttl, timestamp);
    }

    private Insert InsertRest()
    {
        Expect("INTO");
        var (keyspace, table) = QualifiedName();
        Expect("(");
        var columns = List(Identifier);
        ExpectAll(")", "VALUES", "(");
        var values = List(Term);
        Expect(")");
        if (values.Count != columns.Count)
        {
            throw Invalid("Unmatched column names/values");
        }

        var ifNotExists = IfNotExists();
        var (ttl, timestamp) = Using();
        return new Insert(keyspace, table, columns, values, ifNotExists, ttl, timestamp);
    }

    private Update UpdateRest()
    {
        var (keyspace, table) = QualifiedName();
        var (ttl, timestamp) = Using();
        Expect("SET");
        var set = Equalities(",");
        Expect("WHERE");
        var where = Equalities("AND");
        var ifExists = false;
        List<(string, Term)> conditions = [];
        if (Accept("IF"))
        {
            if (Accept("EXISTS"))
            {
                ifExists = true;
            }
            else
            {
                conditions = Equalities("AND");
            }
        }

        return new Update(keyspace, table, set, where, ifExists, conditions, ttl, timestamp);
    }
}
