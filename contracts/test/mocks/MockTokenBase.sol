// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title MockTokenBase
/// @notice Bookkeeping shared by the token mocks: 6 decimals, balances, allowances, a blacklist that makes
///         any transfer from or to a listed address revert, and an owner-free `mint` for tests. Each mock
///         exposes its own external ABI (return values differ between Ethereum USDT, TRON USDT and ERC20).
abstract contract MockTokenBase {
    error Blacklisted(address account);
    error InsufficientBalance(address from, uint256 balance, uint256 needed);
    error InsufficientAllowance(address spender, uint256 allowance, uint256 needed);

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    string public name;
    string public symbol;
    uint8 public constant decimals = 6;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    mapping(address => bool) public isBlackListed;

    constructor(string memory name_, string memory symbol_) {
        name = name_;
        symbol = symbol_;
    }

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function setBlacklisted(address account, bool listed) external {
        isBlackListed[account] = listed;
    }

    function _move(address from, address to, uint256 amount) internal virtual {
        if (isBlackListed[from]) revert Blacklisted(from);
        if (isBlackListed[to]) revert Blacklisted(to);
        uint256 bal = balanceOf[from];
        if (bal < amount) revert InsufficientBalance(from, bal, amount);
        balanceOf[from] = bal - amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }

    function _spendAllowance(address owner, address spender, uint256 amount) internal {
        uint256 a = allowance[owner][spender];
        if (a != type(uint256).max) {
            if (a < amount) revert InsufficientAllowance(spender, a, amount);
            allowance[owner][spender] = a - amount;
        }
    }

    function _approve(address owner, address spender, uint256 amount) internal {
        allowance[owner][spender] = amount;
        emit Approval(owner, spender, amount);
    }
}
