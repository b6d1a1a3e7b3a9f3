-- shapelens for Neovim 0.8-0.10: paste into init.lua (0.11+: use lsp/shapelens.lua instead).
-- Starts `shapelens serve` for Python buffers with vim.lsp.start; on attach, enables inlay hints
-- (0.10+) and adds :ShapelensSummary [N] (the table of model N, default 1, as a message).
local shapelens_cmd = { 'shapelens', 'serve' } -- or { '/path/to/python', '-m', 'shapelens', 'serve' }

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'python',
  callback = function(args)
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
