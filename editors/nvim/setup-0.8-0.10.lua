-- shapelens for Neovim 0.8-0.10: paste into init.lua (0.11+: use lsp/shapelens.lua instead).
-- Starts `shapelens serve` for Python buffers with vim.lsp.start (or says, once, why it cannot);
-- on attach: diagnostic messages as virtual text, code lenses refreshed on edits, inlay hints
-- (0.10+), and :ShapelensSummary [N] (the table of model N, default 1, as a message).
local shapelens_cmd = { 'shapelens', 'serve' } -- or { '/path/to/venv/bin/shapelens', 'serve' }
local shapelens_warned = false

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'python',
  callback = function(args)
    if vim.fn.executable(shapelens_cmd[1]) == 0 then
      if not shapelens_warned then
        shapelens_warned = true
        vim.notify(('shapelens: cannot start the language server: `%s` is not an executable (not on PATH?). '
          .. 'Install shapelens in a virtual environment and set shapelens_cmd to its bin/shapelens. '
          .. 'See :checkhealth shapelens'):format(shapelens_cmd[1]), vim.log.levels.ERROR)
      end
      return
    end
    local markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', '.git' }
    local found = vim.fs.find(markers, { upward = true, path = vim.fs.dirname(vim.api.nvim_buf_get_name(args.buf)) })
    vim.lsp.start({
      name = 'shapelens',
      cmd = shapelens_cmd,
      root_dir = found[1] and vim.fs.dirname(found[1]) or vim.fn.getcwd(),
      -- settings = { shapelens = { dryRun = { mode = 'onSave' } } },  -- docs/configuration.md
    })
  end,
})

vim.api.nvim_create_autocmd('LspAttach', {
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if not client or client.name ~= 'shapelens' then
      return
    end
    -- Messages at the end of the line (unless you chose a diagnostic display yourself).
    local global = vim.diagnostic.config() or {}
    if not (global.virtual_text or global.virtual_lines) then
      for _, pull in ipairs({ false, true }) do -- push and (0.10+) pull diagnostics
        vim.diagnostic.config({ virtual_text = true }, vim.lsp.diagnostic.get_namespace(client.id, pull))
      end
    end
    -- Code lenses above each model (layers, parameters, input -> output).
    vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'TextChanged', 'BufWritePost' }, {
      buffer = args.buf,
      callback = function() vim.lsp.codelens.refresh() end,
    })
    vim.lsp.codelens.refresh()
    if vim.lsp.inlay_hint and vim.lsp.inlay_hint.enable then -- 0.10+
      vim.lsp.inlay_hint.enable(true, { bufnr = args.buf })
    end
    vim.api.nvim_buf_create_user_command(args.buf, 'ShapelensSummary', function(opts)
      local params = { command = 'shapelens.showSummary',
                       arguments = { vim.uri_from_bufnr(args.buf), (tonumber(opts.args) or 1) - 1 } }
      client.request('workspace/executeCommand', params, function() end, args.buf)
    end, { nargs = '?', desc = 'shapelens: model summary table' })
  end,
})
