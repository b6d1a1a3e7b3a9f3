-- Drives a real headless Neovim through shapelens (run by test_neovim.py, under `timeout`):
--   nvim --headless --clean -l nvim_driver.lua
-- Environment: SHAPELENS_E2E_SETUP ("lsp" for editors/nvim/lsp/shapelens.lua, "legacy" for
-- editors/nvim/setup-0.8-0.10.lua), SHAPELENS_E2E_EDITORS (editors/nvim), SHAPELENS_E2E_PYTHON,
-- SHAPELENS_E2E_FILE (the fixture copy to edit), SHAPELENS_E2E_RESULT (JSON written here).
-- It only observes; the assertions are in Python. Any Lua error ends Neovim with exit code 3.
local env = vim.env
local result = { steps = {}, nvim = tostring(vim.version()) }
local t0 = vim.uv.hrtime()

local function ms()
  return math.floor((vim.uv.hrtime() - t0) / 1e6)
end

local function step(name, value)
  result.steps[#result.steps + 1] = { name = name, at_ms = ms() }
  result[name] = value
end

local function write_result()
  local fh = assert(io.open(env.SHAPELENS_E2E_RESULT, 'w'))
  fh:write(vim.json.encode(result))
  fh:close()
end

local function wait(what, timeout_ms, cond)
  local ok = vim.wait(timeout_ms, cond, 20)
  if not ok then
    error(('timed out after %d ms waiting for %s'):format(timeout_ms, what), 0)
  end
end

local notifications = {}
local notify = vim.notify
vim.notify = function(msg, level, opts)
  notifications[#notifications + 1] = { msg = msg, level = level }
  return notify(msg, level, opts)
end

local function main()
  vim.g.loaded_python3_provider = 0
  local python_cmd = { env.SHAPELENS_E2E_PYTHON, '-m', 'shapelens', 'serve' }
  if env.SHAPELENS_E2E_SETUP == 'legacy' then
    -- The documented snippet, verbatim but for its command.
    local path = env.SHAPELENS_E2E_EDITORS .. '/setup-0.8-0.10.lua'
    local source = table.concat(vim.fn.readfile(path), '\n')
    local chunk = assert(loadstring((source:gsub("{ 'shapelens', 'serve' }", vim.inspect(python_cmd), 1))))
    chunk()
  else
    vim.opt.runtimepath:prepend(env.SHAPELENS_E2E_EDITORS)
    vim.lsp.config('shapelens', { cmd = python_cmd })
    vim.lsp.enable('shapelens')
  end
  vim.cmd('filetype on')
  vim.cmd.edit(vim.fn.fnameescape(env.SHAPELENS_E2E_FILE))
  local bufnr = vim.api.nvim_get_current_buf()
  step('filetype', vim.bo[bufnr].filetype)

  local client
  wait('the shapelens client to attach', 20000, function()
    client = vim.lsp.get_clients({ bufnr = bufnr, name = 'shapelens' })[1]
    return client ~= nil and client.initialized
  end)
  step('attached', { name = client.name, offset_encoding = client.offset_encoding })

  -- 1. the diagnostic of the known bug
  wait('diagnostics', 20000, function()
    return #vim.diagnostic.get(bufnr) > 0
  end)
  local diags = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    diags[#diags + 1] = { code = d.code, lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
                          severity = d.severity, message = d.message, source = d.source }
  end
  step('diagnostics', diags)

  -- 1b. the message is shown in the buffer (virtual text), as extmarks Neovim itself placed
  local virt = {}
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(bufnr, -1, 0, -1, { details = true })) do
    local details = m[4]
    for _, chunk in ipairs(details.virt_text or {}) do
      virt[#virt + 1] = { line = m[2], text = chunk[1] }
    end
    for _, l in ipairs(details.virt_lines or {}) do
      for _, chunk in ipairs(l) do
        virt[#virt + 1] = { line = m[2], text = chunk[1] }
      end
    end
  end
  step('virtual_text', virt)

  -- 1c. code lenses, fetched on attach and kept by Neovim
  wait('code lenses', 10000, function()
    return #vim.lsp.codelens.get(bufnr) > 0
  end)
  step('code_lenses', vim.tbl_map(function(l)
    return { line = l.range.start.line, title = l.command and l.command.title }
  end, vim.lsp.codelens.get(bufnr)))

  -- 2. hover on a conv layer (line and column found by the test, 0-based, in bytes)
  local hover_pos = { line = tonumber(env.SHAPELENS_E2E_HOVER_LINE), character = tonumber(env.SHAPELENS_E2E_HOVER_COL) }
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = hover_pos }, 5000) or {}
  local hover = nil
  for _, r in pairs(responses) do
    if r.result and r.result.contents then
      hover = r.result.contents.value or r.result.contents
    end
  end
  step('hover', hover)

  -- 3. inlay hints, as Neovim itself keeps them after vim.lsp.inlay_hint.enable
  local hints = {}
  if vim.lsp.inlay_hint then
    wait('inlay hints', 10000, function()
      return #vim.lsp.inlay_hint.get({ bufnr = bufnr }) > 0
    end)
    for _, h in ipairs(vim.lsp.inlay_hint.get({ bufnr = bufnr })) do
      local label = h.inlay_hint.label
      if type(label) == 'table' then
        label = table.concat(vim.tbl_map(function(p) return p.value end, label))
      end
      hints[#hints + 1] = { line = h.inlay_hint.position.line, label = label }
    end
    step('inlay_hints_enabled', vim.lsp.inlay_hint.is_enabled({ bufnr = bufnr }))
  end
  step('inlay_hints', hints)

  -- 4. :ShapelensSummary opens the table (lsp/shapelens.lua only; the legacy one shows a message)
  step('summary_command', vim.fn.exists(':ShapelensSummary') == 2)
  if env.SHAPELENS_E2E_SETUP ~= 'legacy' then
    local before = #vim.api.nvim_list_wins()
    vim.cmd('ShapelensSummary')
    wait('the summary window', 10000, function()
      return #vim.api.nvim_list_wins() > before
    end)
    local win = vim.api.nvim_get_current_win()
    step('summary', vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false))
    vim.wait(200) -- a window/showMessage copy of the table would have arrived by now
    step('messages', vim.fn.execute('messages'))
    vim.api.nvim_win_close(win, true)
    vim.api.nvim_set_current_buf(bufnr)
  end

  -- 5. the quick fix, chosen and applied the way a user does (vim.lsp.buf.code_action)
  local target = nil
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == env.SHAPELENS_E2E_FIX_CODE then
      target = d
    end
  end
  assert(target, 'no diagnostic ' .. env.SHAPELENS_E2E_FIX_CODE .. ' to fix')
  vim.api.nvim_win_set_cursor(0, { target.lnum + 1, target.col })
  local titles = {}
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      titles[#titles + 1] = action.title
      return action.title == env.SHAPELENS_E2E_FIX_TITLE
    end,
  })
  local fixed_line = target.lnum
  wait('the quick fix to be applied', 10000, function()
    return vim.bo[bufnr].modified
  end)
  step('code_actions', titles)
  step('fixed_line', vim.api.nvim_buf_get_lines(bufnr, fixed_line, fixed_line + 1, false)[1])
  local remaining
  wait('the diagnostic to disappear', 10000, function()
    remaining = vim.tbl_filter(function(d)
      return d.code == env.SHAPELENS_E2E_FIX_CODE
    end, vim.diagnostic.get(bufnr))
    return #remaining == 0
  end)
  step('diagnostics_after_fix', vim.tbl_map(function(d) return d.code end, vim.diagnostic.get(bufnr)))
  -- 6. :checkhealth shapelens (lua/shapelens/health.lua on 'runtimepath') while the client runs
  if env.SHAPELENS_E2E_SETUP ~= 'legacy' then
    vim.cmd('checkhealth shapelens')
    step('checkhealth', vim.api.nvim_buf_get_lines(0, 0, -1, false))
    vim.cmd('bwipeout!')
    vim.api.nvim_set_current_buf(bufnr)
  end
  client:stop()

  -- 7. a command that is not an executable: a clear vim.notify, not silence
  if env.SHAPELENS_E2E_SETUP ~= 'legacy' then
    vim.lsp.config('shapelens', { cmd = { 'shapelens-not-installed-here', 'serve' } })
  end
  vim.cmd.edit(vim.fn.fnameescape(vim.fs.dirname(env.SHAPELENS_E2E_FILE) .. '/other.py'))
  vim.wait(500)
  step('notifications', notifications)
  step('done', true)
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  result.error = tostring(err)
end
pcall(write_result)
if ok then
  vim.cmd('qall!')
else
  vim.cmd('cquit 3')
end
