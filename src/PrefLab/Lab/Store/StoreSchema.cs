namespace PrefLab.Lab.Store;

/// <summary>
/// The results store's tables (SQLite, <c>LAB/results.sqlite</c>). <see cref="Version"/> is kept in
/// <c>meta.schema_version</c>; a store from a newer PrefLab is refused rather than misread, and an older one is
/// migrated in place when opened for writing (<see cref="Migrations"/>); opened read-only, an older store is read
/// as it is (columns it lacks read as null).
/// </summary>
public static class StoreSchema
{
    public const int Version = 2;

    /// <summary>The statements that take a store from version <c>key</c> to <c>key + 1</c>.</summary>
    public static IReadOnlyDictionary<int, string> Migrations { get; } = new Dictionary<int, string>
    {
        // 2: the model FLOPs each node did (ModelFlops), for the report's utilisation against the machine's peak.
        [1] = "ALTER TABLE nodes ADD COLUMN model_flops REAL;",
    };

    public const string Ddl = """
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );
        -- One row per distinct grid file (by name and content) run in this lab folder.
        CREATE TABLE grids (
          id            INTEGER PRIMARY KEY,
          name          TEXT NOT NULL,
          path          TEXT NOT NULL,
          sha256        TEXT NOT NULL,
          text          TEXT NOT NULL,
          registered_at TEXT NOT NULL,
          UNIQUE (name, sha256)
        );
        -- Each grid's factor levels in file order (their definitions as canonical JSON): the report's defaults and row order.
        CREATE TABLE grid_levels (
          grid       INTEGER NOT NULL,
          factor     TEXT NOT NULL,
          level      TEXT NOT NULL,
          position   INTEGER NOT NULL,
          definition TEXT NOT NULL,
          PRIMARY KEY (grid, factor, level)
        );
        -- Units of work, keyed by content hash; status pending | running | done | failed.
        CREATE TABLE nodes (
          id          TEXT PRIMARY KEY,
          kind        TEXT NOT NULL,
          label       TEXT NOT NULL,
          settings    TEXT NOT NULL,
          folder      TEXT NOT NULL,
          status      TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
          attempts    INTEGER NOT NULL DEFAULT 0,
          created_at  TEXT NOT NULL,
          started_at  TEXT,
          finished_at TEXT,
          seconds     REAL,
          error       TEXT,
          model_flops REAL
        );
        CREATE INDEX nodes_kind ON nodes (kind, status);
        -- A node's inputs: another node (upstream) or an external file/folder (path and content hash).
        CREATE TABLE node_inputs (
          node     TEXT NOT NULL,
          role     TEXT NOT NULL,
          upstream TEXT,
          path     TEXT,
          hash     TEXT NOT NULL,
          PRIMARY KEY (node, role)
        );
        -- Every attempt at a node: outcome done | failed | interrupted | running, and whether it resumed.
        CREATE TABLE node_attempts (
          node        TEXT NOT NULL,
          attempt     INTEGER NOT NULL,
          resumed     INTEGER NOT NULL,
          started_at  TEXT NOT NULL,
          finished_at TEXT,
          seconds     REAL,
          outcome     TEXT NOT NULL,
          error       TEXT,
          PRIMARY KEY (node, attempt)
        );
        -- A run: one configuration at one seed. id = its result node (evaluation or best-of-N); config = hash of the
        -- resolved settings without the seed.
        CREATE TABLE runs (
          id                 TEXT PRIMARY KEY,
          config             TEXT NOT NULL,
          algorithm          TEXT NOT NULL,
          seed               INTEGER NOT NULL,
          settings           TEXT NOT NULL,
          result_node        TEXT NOT NULL,
          policy_node        TEXT,
          reward_model_node  TEXT,
          rm_evaluation_node TEXT,
          sft_node           TEXT
        );
        CREATE INDEX runs_config ON runs (config);
        -- The resolved settings again, a row per key, for queries such as key = 'algorithm.beta'.
        CREATE TABLE run_settings (
          run   TEXT NOT NULL,
          key   TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (run, key)
        );
        CREATE INDEX run_settings_key ON run_settings (key, value);
        -- Which grids contain a run, under which factor levels (null: the factor does not apply).
        CREATE TABLE grid_runs (
          grid         INTEGER NOT NULL,
          run          TEXT NOT NULL,
          position     INTEGER NOT NULL,
          data         TEXT,
          algorithm    TEXT NOT NULL,
          reward_model TEXT,
          prompts      TEXT,
          PRIMARY KEY (grid, run)
        );
        -- Training curves imported from each training node's metrics.jsonl.
        CREATE TABLE metrics (
          node  TEXT NOT NULL,
          step  INTEGER NOT NULL,
          name  TEXT NOT NULL,
          value REAL NOT NULL,
          PRIMARY KEY (node, name, step)
        );
        -- Evaluation (and best-of-N) scores, one row per item, and their per-category means.
        CREATE TABLE eval_items (
          node     TEXT NOT NULL,
          category TEXT NOT NULL,
          item     TEXT NOT NULL,
          score    REAL NOT NULL,
          PRIMARY KEY (node, category, item)
        );
        CREATE TABLE eval_categories (
          node     TEXT NOT NULL,
          category TEXT NOT NULL,
          items    INTEGER NOT NULL,
          mean     REAL NOT NULL,
          PRIMARY KEY (node, category)
        );
        -- Reward-model evaluation: one verdict per held-out pair, and per-subset summaries.
        CREATE TABLE rm_eval_items (
          node           TEXT NOT NULL,
          subset         TEXT NOT NULL,
          item           TEXT NOT NULL,
          correct        REAL NOT NULL,
          gold_agreement REAL,
          PRIMARY KEY (node, subset, item)
        );
        CREATE TABLE rm_eval_subsets (
          node           TEXT NOT NULL,
          subset         TEXT NOT NULL,
          items          INTEGER NOT NULL,
          accuracy       REAL NOT NULL,
          gold_agreement REAL,
          PRIMARY KEY (node, subset)
        );
        -- Best-of-N downstream scores: n, the reward model, and the per-category mean of each best-of-N run.
        CREATE VIEW bon_results AS
          SELECT r.id AS run, r.reward_model_node AS reward_model_node, CAST(n.value AS INTEGER) AS n, r.seed AS seed,
                 c.category AS category, c.mean AS score, c.items AS items
          FROM runs r
          JOIN run_settings n ON n.run = r.id AND n.key = 'algorithm.n'
          JOIN eval_categories c ON c.node = r.result_node
          WHERE r.algorithm = 'best-of-n';
        -- Content hashes of input files, by path, size and modification time.
        CREATE TABLE file_hashes (
          path     TEXT PRIMARY KEY,
          size     INTEGER NOT NULL,
          modified INTEGER NOT NULL,
          sha256   TEXT NOT NULL
        );
        """;
}
