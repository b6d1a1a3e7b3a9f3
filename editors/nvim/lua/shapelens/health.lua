-- :checkhealth shapelens -- is the language server set up and running? (Neovim 0.10+ vim.health;
-- 0.8-0.9 names the same functions report_*.)
local M = {}

local health = vim.health or require('health')
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local fail = health.error or health.report_error
local info = health.info or health.report_info

--- The command the shapelens client starts: the 0.11 config (with the user's overrides), else
--- vim.g.shapelens_cmd (for the 0.8-0.10 snippet), else the default.
local function server_cmd()
  if vim.lsp.config then
    local config = vim.lsp.config.shapelens
    if config and type(config.cmd) == 'table' then
      return config.cmd, 'vim.lsp.config.shapelens'
    end
  end
  if type(vim.g.shapelens_cmd) == 'table' then
    return vim.g.shapelens_cmd, 'vim.g.shapelens_cmd'
  end
  return { 'shapelens', 'serve' }, 'the default'
end

function M.check()
  start('shapelens: Neovim')
  local v = vim.version()
  local version = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.11') == 1 then
    ok('Neovim ' .. version .. ": use editors/nvim/lsp/shapelens.lua with vim.lsp.enable('shapelens')")
  elseif vim.fn.has('nvim-0.8') == 1 then
    ok('Neovim ' .. version .. ': use editors/nvim/setup-0.8-0.10.lua')
  else
    fail('Neovim ' .. version .. ' is too old: shapelens needs 0.8 or newer (vim.lsp.start)')
  end

  start('shapelens: server command')
  local cmd, from = server_cmd()
  info(('command (from %s): %s'):format(from, table.concat(cmd, ' ')))
  if vim.fn.executable(cmd[1]) ~= 1 then
    fail(('`%s` is not an executable (not on PATH?)'):format(cmd[1]), {
      'Install shapelens in a virtual environment: python3 -m venv ~/.venvs/shapelens && '
        .. '~/.venvs/shapelens/bin/pip install /path/to/shapelens-checkout',
      "Then: vim.lsp.config('shapelens', { cmd = { vim.fn.expand('~/.venvs/shapelens/bin/shapelens'), 'serve' } })",
    })
  else
    ok(('`%s` is executable: %s'):format(cmd[1], vim.fn.exepath(cmd[1])))
    -- `... serve` -> `... version`: the same program and environment, without starting a server.
    local probe = vim.deepcopy(cmd)
    if probe[#probe] == 'serve' then
      probe[#probe] = 'version'
      local out = vim.fn.system(probe)
      if vim.v.shell_error == 0 then
        ok('shapelens ' .. vim.trim(out))
      else
        fail(('`%s` failed: %s'):format(table.concat(probe, ' '), vim.trim(out)))
      end
    end
  end

  start('shapelens: clients')
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local clients = get({ name = 'shapelens' })
  if #clients == 0 then
    if vim.lsp.config and vim.lsp.is_enabled and not vim.lsp.is_enabled('shapelens') then
      warn("shapelens is not enabled: call vim.lsp.enable('shapelens') (lsp/shapelens.lua on 'runtimepath')")
    else
      info('no shapelens client is running (open a Python file)')
    end
  end
  for _, client in ipairs(clients) do
    local buffers = vim.tbl_keys(client.attached_buffers or {})
    ok(('client %d running in %s, attached to %d buffer(s)'):format(client.id, client.root_dir or '(no root)',
                                                                    #buffers))
    local ns = vim.lsp.diagnostic.get_namespace(client.id, false)
    local display = vim.tbl_extend('force', vim.diagnostic.config() or {}, vim.diagnostic.config(nil, ns) or {})
    if display.virtual_text or display.virtual_lines then
      ok('diagnostic messages are shown (virtual_text or virtual_lines)')
    else
      warn('diagnostic messages are not shown in the buffer (only signs)',
           { 'vim.diagnostic.config({ virtual_text = true }) or { virtual_lines = true }' })
    end
  end
end

return M
