-- shapelens: Keras model shapes while you type (diagnostics, hovers, inlay hints, quick fixes).
--
-- Neovim 0.11+, in nvim-lspconfig's `vim.lsp.Config` form. With this file on 'runtimepath'
-- (as lsp/shapelens.lua), `vim.lsp.enable('shapelens')` is all it takes. Override any field:
--   vim.lsp.config('shapelens', {
--     cmd = { '/path/to/venv/bin/python', '-m', 'shapelens', 'serve' },
--     settings = { shapelens = { dryRun = { mode = 'onSave' } } },  -- docs/configuration.md
--   })
-- Server options left unset come from [tool.shapelens] in the project's pyproject.toml.
-- On attach: diagnostic messages are shown at the end of the line (virtual text; 0.11 shows
-- only a sign by default) unless you configured virtual_text or virtual_lines yourself, code
-- lenses (each model's layers, parameters, input -> output) are enabled and refreshed, inlay
-- hints are enabled, and :ShapelensSummary [N] shows the summary table of the model under the
-- cursor (or of model N). If the command is not executable, vim.notify says so (once) instead
-- of nothing happening. `:checkhealth shapelens` checks the set-up (lua/shapelens/health.lua).

local SHOW_SUMMARY = 'shapelens.showSummary'

-- The server also sends the table as window/showMessage; while :ShapelensSummary waits for
-- it, such messages are held and only the ones that are not the table are shown.
local waiting, held = 0, {}

local function show_message(err, result, ctx, config)
  if waiting > 0 and result and result.type == vim.lsp.protocol.MessageType.Info then
    table.insert(held, { err, result, ctx, config })
    return
  end
  return vim.lsp.handlers['window/showMessage'](err, result, ctx, config)
end

local function open_scratch(text)
  local lines = vim.split(text, '\n', { plain = true })
  vim.cmd(('botright %dnew'):format(math.min(#lines, 20)))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype, vim.bo[buf].bufhidden, vim.bo[buf].swapfile = 'nofile', 'wipe', false
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].filetype = 'shapelens-summary'
end

local function run_summary(client, bufnr, arguments)
  waiting = waiting + 1
  client:request('workspace/executeCommand', { command = SHOW_SUMMARY, arguments = arguments }, function(err, text)
    waiting = waiting - 1
    local pending
    pending, held = held, {}
    for _, m in ipairs(pending) do
      if m[2].message ~= text then
        vim.lsp.handlers['window/showMessage'](unpack(m))
      end
    end
    if err or type(text) ~= 'string' then
      vim.notify('shapelens: ' .. (err and err.message or 'no Keras model in this file'), vim.log.levels.WARN)
      return
    end
    open_scratch(text)
  end, bufnr)
end

--- The summary of model `n` (1-based), else of the model under the cursor, else the first.
local function summary(client, bufnr, n)
  local uri = vim.uri_from_bufnr(bufnr)
  if n then
    return run_summary(client, bufnr, { uri, n - 1 })
  end
  local cursor = vim.api.nvim_win_get_cursor(0)[1] - 1
  client:request('textDocument/documentSymbol', { textDocument = { uri = uri } }, function(_, symbols)
    -- Models are the Class symbols, in the order (index) the server's command expects.
    local models = vim.tbl_filter(function(s)
      return s.kind == vim.lsp.protocol.SymbolKind.Class and s.range ~= nil
    end, symbols or {})
    local pick = 1
    for i, m in ipairs(models) do
      if m.range.start.line <= cursor and cursor <= m.range['end'].line then
        pick = i
      end
    end
    local model = models[pick]
    run_summary(client, bufnr, model and { uri, pick - 1, model.selectionRange.start.line } or { uri })
  end, bufnr)
end

local ROOT_MARKERS = { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', '.git' }

--- Neovim 0.11 silently skips a config whose cmd[1] is not executable: say so instead (once per
--- session), when a Python buffer is opened. This file is loaded when the config is first
--- resolved (on the first Python buffer), so it checks then and on each later Python buffer.
local function check_cmd()
  if vim.g.shapelens_cmd_warned then
    return
  end
  local cmd = (vim.lsp.config.shapelens or {}).cmd
  if type(cmd) ~= 'table' or cmd[1] == nil or vim.fn.executable(cmd[1]) == 1 then
    return
  end
  vim.g.shapelens_cmd_warned = true
  vim.notify(('shapelens: cannot start the language server: `%s` is not an executable (not on PATH?). '
    .. 'Install shapelens in a virtual environment and point the config at it: '
    .. "vim.lsp.config('shapelens', { cmd = { '/path/to/venv/bin/shapelens', 'serve' } }). "
    .. 'See :checkhealth shapelens'):format(cmd[1]), vim.log.levels.ERROR)
end
vim.api.nvim_create_autocmd('FileType', {
  group = vim.api.nvim_create_augroup('shapelens_check_cmd', { clear = true }),
  pattern = 'python',
  callback = function() vim.schedule(check_cmd) end,
})
vim.schedule(check_cmd)

--- Diagnostic messages as virtual text for this client's diagnostics, unless the user chose a
--- display (virtual_text or virtual_lines) globally.
local function show_messages(client)
  local global = vim.diagnostic.config() or {}
  if global.virtual_text or global.virtual_lines then
    return
  end
  for _, pull in ipairs({ false, true }) do
    vim.diagnostic.config({ virtual_text = { source = 'if_many' } },
                          vim.lsp.diagnostic.get_namespace(client.id, pull))
  end
end

--- Code lenses: fetched now and again when the buffer is entered, changed or left in normal mode.
local function enable_code_lenses(bufnr)
  local refresh = function()
    vim.lsp.codelens.refresh({ bufnr = bufnr })
  end
  local group = vim.api.nvim_create_augroup('shapelens_codelens_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'TextChanged', 'BufWritePost' },
                              { group = group, buffer = bufnr, callback = refresh })
  refresh()
end

---@type vim.lsp.Config
return {
  cmd = { 'shapelens', 'serve' },
  filetypes = { 'python' },
  root_markers = ROOT_MARKERS,
  -- settings = { shapelens = { ... } } is sent as workspace/didChangeConfiguration.
  handlers = { ['window/showMessage'] = show_message },
  on_attach = function(client, bufnr)
    show_messages(client)
    enable_code_lenses(bufnr)
    if vim.lsp.inlay_hint then
      vim.lsp.inlay_hint.enable(true, { bufnr = bufnr })
    end
    vim.api.nvim_buf_create_user_command(bufnr, 'ShapelensSummary', function(opts)
      summary(client, bufnr, tonumber(opts.args))
    end, { nargs = '?', desc = 'shapelens: model summary table (of model N, else the one under the cursor)' })
  end,
}
